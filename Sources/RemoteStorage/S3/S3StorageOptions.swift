/// Tuning of an ``S3Storage``: multipart sizes, parallelism, timeouts, retries and the bandwidth cap.
///
/// The defaults suit backups of any size: objects under 16 MiB go up in one `PUT`; larger ones in
/// parts of 8 MiB, 4 in flight. An upload refills 4 or 5 part buffers from part to part, and holds
/// the 16 MiB read before choosing between the two until its first parts are sent: about 40 MiB of
/// body in memory.
public struct S3StorageOptions: Sendable {
    /// The smallest part S3 accepts (except the last one): 5 MiB.
    public static let minimumPartSize = 5 << 20
    /// The largest part S3 accepts: 5 GiB.
    public static let maximumPartSize = 5 << 30
    /// The most parts of one multipart upload: 10,000.
    public static let maximumPartCount = 10_000

    /// Objects shorter than this go up in a single `PUT`; longer ones as a multipart upload. The
    /// body is buffered up to this size before deciding (the total length of a stream is unknown).
    public var multipartThreshold: Int
    /// The size of the first 1,000 parts; it doubles every 1,000 parts (see ``partSize(ofPart:)``),
    /// so any object up to S3's 5 TiB limit fits in 10,000 parts. At least ``minimumPartSize``.
    public var partSize: Int
    /// How many parts upload at once; each holds one part in memory, and the next part is read once
    /// one of them is done, into its buffer.
    public var partsInFlight: Int
    /// The deadline of a request without a large body (HEAD, LIST, DELETE, initiate, complete,
    /// abort), and the base of the deadline of an upload (``minimumUploadRate`` adds to it).
    public var requestTimeout: Duration
    /// The slowest upload rate, in bytes per second, before a part or single `PUT` times out: its
    /// deadline is ``requestTimeout`` plus its size at this rate.
    public var minimumUploadRate: Int
    /// How failed idempotent steps are retried.
    public var retry: TransferRetry
    /// The upload and download cap shared by every transfer of this storage; `nil` is unlimited.
    public var bandwidthLimiter: BandwidthLimiter?
    /// Send `If-None-Match: *` on create-only puts. Servers that ignore the header (some older S3
    /// clones) leave only the `HEAD` check made before the upload.
    public var conditionalWrites: Bool

    /// Creates options; every argument has the default described on its property.
    ///
    /// - Parameters:
    ///   - multipartThreshold: Single `PUT` below this size.
    ///   - partSize: The size of the first 1,000 parts, at least 5 MiB.
    ///   - partsInFlight: Parts uploaded at once, at least 1.
    ///   - requestTimeout: The deadline of a request without a large body.
    ///   - minimumUploadRate: The slowest accepted upload rate, in bytes per second.
    ///   - retry: The retry policy.
    ///   - bandwidthLimiter: The shared bandwidth cap, if any.
    ///   - conditionalWrites: Whether create-only puts send `If-None-Match: *`.
    public init(
        multipartThreshold: Int = 16 << 20,
        partSize: Int = 8 << 20,
        partsInFlight: Int = 4,
        requestTimeout: Duration = .seconds(60),
        minimumUploadRate: Int = 64 << 10,
        retry: TransferRetry = TransferRetry(),
        bandwidthLimiter: BandwidthLimiter? = nil,
        conditionalWrites: Bool = true
    ) {
        self.multipartThreshold = max(0, multipartThreshold)
        self.partSize = min(max(partSize, Self.minimumPartSize), Self.maximumPartSize)
        self.partsInFlight = max(1, partsInFlight)
        self.requestTimeout = requestTimeout
        self.minimumUploadRate = max(1, minimumUploadRate)
        self.retry = retry
        self.bandwidthLimiter = bandwidthLimiter
        self.conditionalWrites = conditionalWrites
    }

    /// The size of part `number` (1-based): ``partSize`` for parts 1–1,000, twice that for
    /// 1,001–2,000, and so on, capped at 4 GiB − 1 (the most one part buffer holds; S3 allows
    /// 5 GiB). With the default 8 MiB the 10,000 parts hold about 8 TiB, more than S3's 5 TiB
    /// object limit.
    ///
    /// - Parameter number: The part number, from 1.
    /// - Returns: The part's size in bytes (the last part of an upload may be shorter).
    public func partSize(ofPart number: Int) -> Int {
        let doublings = min(max(number - 1, 0) / 1000, 20)
        let size = Int64(partSize) << Int64(doublings)
        return Int(min(size, Int64(Self.maximumPartSize), Int64(UInt32.max)))
    }

    /// The deadline budget of an upload request carrying `bytes`.
    func uploadTimeout(bytes: Int) -> Duration {
        requestTimeout + .seconds(Double(bytes) / Double(minimumUploadRate))
    }
}
