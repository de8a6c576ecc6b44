import Testing

@testable import Projections

@Suite("Array literals, identifiers and bytea text, without a server", .timeLimit(.minutes(5)))
struct PostgresArrayLiteralTests {
    @Test(arguments: [
        ([String?](), "{}"),
        ([nil], "{NULL}"),
        (["NULL"], "{\"NULL\"}"),
        ([""], "{\"\"}"),
        (["a,b", "{c}"], "{\"a,b\",\"{c}\"}"),
        (["say \"hi\"", "C:\\dir"], "{\"say \\\"hi\\\"\",\"C:\\\\dir\"}"),
        (["🌍", nil, " x "], "{\"🌍\",NULL,\" x \"}"),
    ])
    func rendersEveryElementQuoted(elements: [String?], literal: String) {
        #expect(elements.postgresBinding == .text(literal))
    }

    @Test func byteArraysBindAsBinaryAndNestedOnesAsHexText() {
        #expect([UInt8]([1, 2]).postgresBinding == .binary([1, 2]))
        let nested: [[UInt8]?] = [[0x0a, 0xff], nil]
        #expect(nested.postgresBinding == .text("{\"\\\\x0aff\",NULL}"))
    }

    @Test(arguments: [
        ("members", "\"members\""),
        ("Mixed Case", "\"Mixed Case\""),
        ("quo\"te", "\"quo\"\"te\""),
        ("", "\"\""),
    ])
    func quotesIdentifiers(name: String, quoted: String) {
        #expect(PostgresConnection.quoteIdentifier(name) == quoted)
    }

    @Test func dropsNULFromIdentifiers() {
        #expect(PostgresConnection.quoteIdentifier("nul\0byte") == "\"nulbyte\"")
    }

    @Test(arguments: [
        ("attendance", true), ("_blue", true), ("green_2", true), (String(repeating: "a", count: 63), true),
        ("", false), ("2fast", false), ("Upper", false), ("has-dash", false), ("has space", false),
        ("ünï", false), (String(repeating: "a", count: 64), false), ("a;drop", false),
    ])
    func validatesSchemaNames(name: String, isValid: Bool) {
        #expect(PostgresConnection.isValidSchemaName(name) == isValid)
    }

    @Test func decodesByteaTextForms() {
        #expect(PostgresByteaText.decode("\\x00ff10") == [0x00, 0xff, 0x10])
        #expect(PostgresByteaText.decode("\\x") == [])
        #expect(PostgresByteaText.decode("ab\\\\c\\000\\377") == [97, 98, 92, 99, 0, 255])
        #expect(PostgresByteaText.decode("\\xabc") == nil)
        #expect(PostgresByteaText.decode("\\9") == nil)
    }
}
