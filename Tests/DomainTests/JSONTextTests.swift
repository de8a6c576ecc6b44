import Domain
import Testing

/// The one JSON writer: its bytes are part of published messages and of every stored policy checksum.
@Suite(.timeLimit(.minutes(1)))
struct JSONTextTests {
    @Test func escapesWithTheShortFormsWhereRFC8259HasThem() {
        var json = JSONText()
        json.value("q\" b\\ n\n r\r t\t b\u{08} f\u{0C} bell\u{07} us\u{1F} 한글 /")
        #expect(json.string == #""q\" b\\ n\n r\r t\t b\b f\f bell\u0007 us\u001f 한글 /""#)
    }

    @Test func separatesMembersAndElementsAndWritesNullsOut() {
        var json = JSONText()
        json.beginObject()
        json.field("a", 1 as Int64)
        json.field("b", nil as String?)
        json.field("c", true)
        json.key("d")
        json.beginArray()
        json.value(1 as Int)
        json.beginObject()
        json.endObject()
        json.value("x")
        json.endArray()
        json.field("e", nil as Int?)
        json.endObject()
        #expect(json.string == #"{"a":1,"b":null,"c":true,"d":[1,{},"x"],"e":null}"#)
        #expect(json.utf8 == Array(json.string.utf8))
    }
}
