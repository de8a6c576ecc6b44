import Projections
import Testing

@Suite struct PostgresConfigurationTests {
    @Test(arguments: [
        "postgresql://attendance:s3cret-pw@db.internal:5433/attendance?connect_timeout=3",
        "host=db.internal port=5433 user=attendance password=s3cret-pw dbname=attendance connect_timeout=3",
    ])
    func descriptionNamesTheSettingsButNotThePassword(conninfo: String) throws {
        let configuration = try PostgresConfiguration(conninfo)
        let description = configuration.description
        #expect(!description.contains("s3cret-pw"))
        #expect(description.contains("password=***"))
        #expect(description.contains("host=db.internal"))
        #expect(description.contains("port=5433"))
        #expect(description.contains("dbname=attendance"))
        #expect("\(configuration)" == description)
    }

    @Test func withoutAPasswordNothingIsMasked() throws {
        let description = try PostgresConfiguration("postgresql://attendance@127.0.0.1/attendance").description
        #expect(!description.contains("password"))
        #expect(description.contains("user=attendance"))
    }
}
