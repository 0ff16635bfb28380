import NIOHTTP1
import Testing

@testable import RemoteStorage

struct S3XMLElementTests {
    @Test func readsAListingWithEntitiesAndNamespaces() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bk</Name><IsTruncated>true</IsTruncated>
              <NextContinuationToken>a&amp;b==</NextContinuationToken>
              <Contents><Key>dir/a &lt;b&gt; &#233;&#x65E5;.bin</Key><Size>12</Size></Contents>
              <Contents><Key><![CDATA[x&y]]></Key><Size>0</Size></Contents>
              <!-- comment -->
              <Empty/>
            </ListBucketResult>
            """
        let root = try S3XMLElement.parse(Array(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.text(of: "NextContinuationToken") == "a&b==")
        #expect(root.children(named: "Contents").compactMap { $0.text(of: "Key") } == ["dir/a <b> é日.bin", "x&y"])
        #expect(root.child("Empty")?.text == "")
    }

    @Test(arguments: ["", "<a>", "<a></b>", "<a>&bogus;</a>", "<!DOCTYPE a><a/>", "<a/><b/>"])
    func refusesMalformedDocuments(xml: String) {
        #expect(throws: S3XMLElement.ParseError.self) { try S3XMLElement.parse(Array(xml.utf8)) }
    }

    @Test func serviceErrorsCarryCodeAndRequestID() {
        let body = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message><RequestId>R1</RequestId></Error>"
        let error = S3Storage.serviceError(status: 503, headers: [:], body: Array(body.utf8))
        #expect(error.code == "SlowDown")
        #expect(error.requestID == "R1")
        #expect(error.isRetryable)
        #expect(error.description.contains("SlowDown") && error.description.contains("R1"))
        #expect(!S3ServiceError(status: 403, code: "AccessDenied").isRetryable)
        #expect(S3ServiceError(status: 400, code: "RequestTimeout").isRetryable)
        #expect(S3ServiceError(transport: "connection reset").isRetryable)
    }
}
