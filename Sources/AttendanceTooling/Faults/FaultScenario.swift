import CommandSupport
import Foundation

/// What one scenario injects while traffic flows.
enum FaultScenario: String, CaseIterable, Sendable {
    case kills = "kill-9"
    case brokerOutage = "broker-down"
    case postgresRestart = "postgres-restart"
    case rebalanceStorm = "rebalance-storm"
    case hostileInput = "hostile-input"
    case rewardAPIFaults = "reward-api"

    var summary: String {
        switch self {
        case .kills: "SIGKILL of a random consumer or relay process, restarted after a random pause"
        case .brokerOutage: "one of 3 brokers down for 1.5 s, then back"
        case .postgresRestart: "the PostgreSQL server restarted mid-stream"
        case .rebalanceStorm: "extra consumers joining and leaving (half of them killed, not stopped)"
        case .hostileInput: "bad messages of 12 kinds mixed into valid traffic"
        case .rewardAPIFaults:
            "the reward API slow (20 ms), failing (10% 503, 5% 429), timing out and dropping paid responses (5% each)"
        }
    }

    /// Injections in the short (CI) and long forms.
    func injections(long: Bool) -> Int {
        switch self {
        case .kills: long ? 60 : 6
        case .brokerOutage: long ? 12 : 2
        case .postgresRestart: long ? 4 : 1
        case .rebalanceStorm: long ? 40 : 6
        case .hostileInput: long ? 20_000 : 10_000
        case .rewardAPIFaults: 1
        }
    }
}

/// One line of the report: what ran, what was injected, and the counts that prove nothing was lost or doubled.
struct FaultReport: Sendable {
    var scenario: FaultScenario
    var injected = 0
    var requests = 0
    var logRows = 0
    var historyRows = 0
    var rewardRows = 0
    var expectedRewards = 0
    var rewardsSucceeded = 0
    var rewardsParked = 0
    var paidByAPI = 0
    var deadLetters = 0
    var deadLetterCopies = 0
    var expectedDeadLetters = 0
    var seconds = 0.0
    var problems: [String] = []
    /// Why the scenario's first run was discarded (the test broker crashed), if it was.
    var secondRunBecause: String?

    var passed: Bool { problems.isEmpty }
}
