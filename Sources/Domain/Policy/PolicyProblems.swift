/// Collects validation problems so an operator sees all of them at once.
struct PolicyProblems {
    private(set) var list: [PolicyValidationError.Problem] = []

    var isEmpty: Bool { list.isEmpty }

    mutating func add(_ field: String, _ message: String) {
        list.append(PolicyValidationError.Problem(field: field, message: message))
    }

    func throwIfAny() throws(PolicyValidationError) {
        if !list.isEmpty { throw PolicyValidationError(problems: list) }
    }
}
