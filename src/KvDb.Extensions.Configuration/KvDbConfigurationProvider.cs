// Configuration read from the keys under a prefix of a kvdb cluster, and with ReloadOnChange
// kept up to date by a watch.
// Invariants:
//  - Load reads every page of the prefix (blocking, as the configuration API requires, over
//    the client's synchronous HTTP path; never blocking on a task). It fails when the cluster
//    cannot be read, unless Optional, when it starts empty.
//  - The follower watches after the lowest revision of the pages read (pages are read one after
//    another, and applying a change again to the map of entries is harmless), so no change is
//    missed. It applies each change to the entries and publishes (new Data, then OnReload) once
//    the changes that had already arrived are applied, so the changes of one revision are
//    published together.
//  - When the cluster cannot be reached, the last configuration stays as it is; the follower
//    retries, resuming after the last revision it applied, and reads the prefix again when it
//    never could read it or the history no longer holds that revision (410).
//  - After the follower has started, Load does nothing: the follower keeps Data current.
using KvDb.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Extensions.Configuration;

/// <summary>A configuration provider reading the keys under a prefix of a kvdb cluster.</summary>
public sealed partial class KvDbConfigurationProvider : ConfigurationProvider, IDisposable
{
    private const int PageSize = 1000;
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

    private readonly KvDbConfigurationOptions options;
    private readonly KvClient client;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly object gate = new();
    private SortedDictionary<string, byte[]> entries = new(StringComparer.Ordinal);
    private Task? follower;

    /// <summary>Makes a provider for <paramref name="options"/>; nothing is read until <see cref="Load"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="KvClient(KvClientOptions)"/>).</exception>
    public KvDbConfigurationProvider(KvDbConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Prefix);
        this.options = options;
        client = new KvClient(options);
        logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KvDbConfigurationProvider>();
    }

    /// <summary>Reads the keys under the prefix, and with <see cref="KvDbConfigurationOptions.ReloadOnChange"/> starts following them.</summary>
    /// <exception cref="KvException">The cluster could not be read (<see cref="KvUnavailableException"/> when no member answered), and the source is not optional.</exception>
    public override void Load()
    {
        if (follower is not null)
            return;

        long? after = null;
        try
        {
            var (read, revision) = ReadAll();
            lock (gate)
            {
                entries = read;
                Data = ConfigurationValues.Build(options.Prefix, entries);
            }

            after = revision;
            LogLoaded(options.Prefix, read.Count, revision);
        }
        catch (KvException e) when (options.Optional)
        {
            LogStartedEmpty(options.Prefix, e.Message);
        }

        if (options.ReloadOnChange)
            follower = FollowAsync(after, stopping.Token);
    }

    private (SortedDictionary<string, byte[]> Entries, long Revision) ReadAll()
    {
        var read = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var revision = long.MaxValue;
        string? continuation = null;
        do
        {
            var page = client.ReadRangePage(options.Prefix, continuation, PageSize, ReadConsistency.Linearizable, stopping.Token);
            foreach (var entry in page.Items)
                read[entry.Key] = entry.Value;
            revision = Math.Min(revision, page.Revision);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return (read, revision);
    }

    private async Task<(SortedDictionary<string, byte[]> Entries, long Revision)> ReadAllAsync(CancellationToken token)
    {
        var read = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var revision = long.MaxValue;
        string? continuation = null;
        do
        {
            var page = await client.ReadRangePageAsync(options.Prefix, continuation, PageSize, ReadConsistency.Linearizable, token).ConfigureAwait(false);
            foreach (var entry in page.Items)
                read[entry.Key] = entry.Value;
            revision = Math.Min(revision, page.Revision);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return (read, revision);
    }

    private async Task FollowAsync(long? after, CancellationToken token)
    {
        // Off the caller's thread: Load returns at once.
        await Task.Yield();
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (after is null)
                {
                    var (read, revision) = await ReadAllAsync(token).ConfigureAwait(false);
                    lock (gate)
                        entries = read;
                    Publish();
                    after = revision;
                    LogLoaded(options.Prefix, read.Count, revision);
                }

                after = await WatchAsync(after.Value, token).ConfigureAwait(false);
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                // Disposed.
                return;
            }
            catch (KvCompactedException e)
            {
                LogCompacted(options.Prefix, e.CompactRevision);
                after = null;
            }
            catch (KvException e)
            {
                LogKeepingLast(options.Prefix, Data.Count, e.Message);
                await PauseAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // An answer the client did not understand: read everything again later.
                LogKeepingLast(options.Prefix, Data.Count, e.Message);
                after = null;
                await PauseAsync(token).ConfigureAwait(false);
            }
        }
    }

    // Applies changes until the watch ends; returns the revision to resume after. Whatever had
    // arrived is published before waiting for more.
    private async Task<long> WatchAsync(long after, CancellationToken token)
    {
        var watch = client.WatchAsync(options.Prefix, after, new WatchOptions { Prefix = true, IncludeProgress = true }, token).GetAsyncEnumerator(token);
        var unpublished = false;
        try
        {
            while (true)
            {
                var next = watch.MoveNextAsync();
                if (unpublished && !next.IsCompleted)
                {
                    Publish();
                    unpublished = false;
                }

                bool more;
                try
                {
                    more = await next.ConfigureAwait(false);
                }
                catch
                {
                    if (unpublished)
                        Publish();
                    throw;
                }

                if (!more)
                    return after;
                var change = watch.Current;
                switch (change.Type)
                {
                    case WatchEventType.Progress:
                        after = Math.Max(after, change.Revision);
                        continue;
                    case WatchEventType.Put:
                        lock (gate)
                            entries[change.Key] = change.Value!;
                        break;
                    case WatchEventType.Delete:
                        lock (gate)
                            entries.Remove(change.Key);
                        break;
                }

                // Other changes of this revision may still be on their way: resume before it.
                after = Math.Max(after, change.Revision - 1);
                unpublished = true;
            }
        }
        finally
        {
            await watch.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Publish()
    {
        lock (gate)
            Data = ConfigurationValues.Build(options.Prefix, entries);
        OnReload();
    }

    private static async Task PauseAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(RetryPause, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops following changes and closes the provider's connections.</summary>
    public void Dispose()
    {
        if (stopping.IsCancellationRequested)
            return;
        stopping.Cancel();
        client.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"KvDbConfigurationProvider for '{options.Prefix}'";

    [LoggerMessage(1, LogLevel.Information, "kvdb configuration: read {Count} keys under '{Prefix}' at revision {Revision}")]
    private partial void LogLoaded(string prefix, int count, long revision);

    [LoggerMessage(2, LogLevel.Warning, "kvdb configuration: could not read '{Prefix}' at start ({Reason}); starting empty (Optional)")]
    private partial void LogStartedEmpty(string prefix, string reason);

    [LoggerMessage(3, LogLevel.Warning, "kvdb configuration: lost the cluster while following '{Prefix}' ({Reason}); keeping the last configuration ({Count} values) and retrying")]
    private partial void LogKeepingLast(string prefix, int count, string reason);

    [LoggerMessage(4, LogLevel.Information, "kvdb configuration: the history no longer holds the changes after our revision of '{Prefix}' (compacted up to {CompactRevision}); reading it again")]
    private partial void LogCompacted(string prefix, long compactRevision);
}
