// Backups in an S3 bucket under a key prefix, through AWSSDK.S3. Credentials and region come
// from the SDK's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
// AWS_PROFILE and ~/.aws, AWS_REGION, instance roles). With an endpoint (--backup-s3-endpoint)
// it speaks to an S3-compatible server instead, with path-style addressing.
// Invariants:
//  - Checksums are computed and validated only when an operation requires them
//    (RequestChecksumCalculation/ResponseChecksumValidation WHEN_REQUIRED): the SDK's default
//    adds CRC checksums that many S3-compatible servers reject. The backup carries its own
//    SHA-256 and is verified whole before it is used.
//  - Uploads are signed whole, not with aws-chunked streaming signatures (UseChunkEncoding off):
//    some S3-compatible servers store the chunk framing as the object's bytes.
//  - An object appears whole or not at all (S3 PUT semantics; multipart above 4 GiB).
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace KvDb.Node.Backups;

/// <summary>An <see cref="IBackupStore"/> over S3 (or an S3-compatible server).</summary>
public sealed class S3BackupStore : IBackupStore
{
    private const long SinglePutLimit = 4L << 30;

    private readonly AmazonS3Client client;
    private readonly string bucket;
    private readonly string prefix;

    /// <summary>Opens the store at <paramref name="location"/>; <paramref name="endpoint"/> is an S3-compatible server's URL, or null for AWS.</summary>
    public S3BackupStore(BackupLocation location, string? endpoint)
    {
        bucket = location.Root;
        prefix = location.Prefix.Length == 0 ? "" : location.Prefix + "/";
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 2,
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            if (Environment.GetEnvironmentVariable("AWS_REGION") is null && Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") is null)
                config.AuthenticationRegion = "us-east-1";
        }

        client = new AmazonS3Client(config);
        Description = location.ToString();
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public async Task PutFileAsync(string name, string path, CancellationToken token)
    {
        if (new FileInfo(path).Length < SinglePutLimit)
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = prefix + name, FilePath = path, UseChunkEncoding = false }, token).ConfigureAwait(false);
            return;
        }

        using var transfer = new TransferUtility(client);
        await transfer.UploadAsync(path, bucket, prefix + name, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task PutBytesAsync(string name, byte[] content, CancellationToken token)
    {
        using var body = new MemoryStream(content, writable: false);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = prefix + name, InputStream = body, AutoCloseStream = false, UseChunkEncoding = false }, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<Stream?> OpenAsync(string name, CancellationToken token)
    {
        try
        {
            var response = await client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = prefix + name }, token).ConfigureAwait(false);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken token)
    {
        var names = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        while (true)
        {
            var response = await client.ListObjectsV2Async(request, token).ConfigureAwait(false);
            foreach (var item in response.S3Objects ?? [])
            {
                var name = item.Key[prefix.Length..];
                if (name.Length > 0 && !name.Contains('/', StringComparison.Ordinal))
                    names.Add(name);
            }

            if (response.IsTruncated is not true || string.IsNullOrEmpty(response.NextContinuationToken))
                return names;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string name, CancellationToken token)
        => client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = prefix + name }, token);

    /// <inheritdoc/>
    public void Dispose() => client.Dispose();
}
