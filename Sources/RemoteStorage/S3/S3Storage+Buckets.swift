import NIOCore
import NIOHTTP1

extension S3Storage {
    /// Creates the storage's bucket; a bucket the caller already owns is not an error.
    ///
    /// Backups normally go to a bucket made by an administrator; this serves tests and first-time
    /// setups on self-hosted stores (MinIO, SeaweedFS).
    ///
    /// - Throws: ``StorageError`` when the bucket belongs to someone else or creation is refused.
    public func createBucket() async throws {
        var body: ByteBuffer?
        var hash = SigV4Signer.PayloadHash.emptyBody
        if endpoint.region != "us-east-1" {
            let xml =
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(endpoint.region)</LocationConstraint></CreateBucketConfiguration>"
            body = ByteBuffer(string: xml)
            hash = .sha256(of: Array(xml.utf8))
        }
        let request = S3Request(method: .PUT, body: body, payloadHash: hash, timeout: options.requestTimeout)
        do {
            _ = try await exchange(request)
        } catch let error as S3ServiceError where error.code == "BucketAlreadyOwnedByYou" {
            return
        } catch {
            throw storageError(error, key: nil, operation: "CreateBucket")
        }
    }

    /// Deletes the storage's bucket (it must be empty on most servers); a missing bucket is not an
    /// error.
    ///
    /// - Throws: ``StorageError`` when the deletion is refused.
    public func deleteBucket() async throws {
        let request = S3Request(method: .DELETE, timeout: options.requestTimeout)
        do {
            _ = try await exchange(request)
        } catch let error as S3ServiceError where error.code == "NoSuchBucket" {
            return
        } catch {
            throw storageError(error, key: nil, operation: "DeleteBucket")
        }
    }
}
