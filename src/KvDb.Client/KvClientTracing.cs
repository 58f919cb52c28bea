// The client's spans (ActivitySource "KvDb.Client"): one per operation that sends a request and
// reads its answer, from the first try to the answer, so an application's trace continues into
// kvdb: the span's context goes to the member as W3C traceparent.
// Invariants:
//  - Nobody listening (the application traces nothing, or not "KvDb.Client"): StartActivity
//    returns null after one check, and nothing else here runs.
//  - The traceparent sent is the client span's own, only on requests sent under it; without a
//    span of ours the HTTP stack propagates the application's context as it always does.
//  - Spans name the operation and the member, never a key or a value.
using System.Diagnostics;

namespace KvDb.Client;

/// <summary>The client's trace source.</summary>
internal static class KvClientTracing
{
    /// <summary>The name of the <see cref="ActivitySource"/>.</summary>
    public const string SourceName = "KvDb.Client";

    private static readonly ActivitySource Source = new(SourceName, typeof(KvClientTracing).Assembly.GetName().Version?.ToString(3));

    /// <summary>Whether the application listens to the client's spans.</summary>
    public static bool IsOn => Source.HasListeners();

    /// <summary>The span of one operation; null when nobody listens or the application's sampler drops it.</summary>
    public static Activity? Start(string operation)
    {
        var activity = Source.StartActivity("kvdb " + operation, ActivityKind.Client);
        activity?.SetTag("kvdb.operation", operation);
        return activity;
    }

    /// <summary>Puts the current client span's context on <paramref name="request"/>, when there is one.</summary>
    public static void Inject(HttpRequestMessage request)
    {
        if (Source.HasListeners() && Activity.Current is { } current && ReferenceEquals(current.Source, Source) && current.IdFormat is ActivityIdFormat.W3C)
        {
            request.Headers.Remove("traceparent");
            request.Headers.TryAddWithoutValidation("traceparent", current.Id);
            if (current.TraceStateString is { Length: > 0 } state)
                request.Headers.TryAddWithoutValidation("tracestate", state);
        }
    }

    /// <summary>Whether <paramref name="activity"/> is one of the client's spans.</summary>
    public static bool Owns(Activity activity) => ReferenceEquals(activity.Source, Source);

    /// <summary>Notes on <paramref name="activity"/> after a try of <paramref name="attempts"/>' operation on <paramref name="endpoint"/>.</summary>
    public static void Tried(Activity activity, OperationAttempts attempts, MemberEndpoint endpoint)
    {
        activity.SetTag("kvdb.tries", attempts.Tries);
        activity.SetTag("server.address", endpoint.BaseUri.Host);
        activity.SetTag("server.port", endpoint.BaseUri.Port);
    }

    /// <summary>Marks <paramref name="activity"/> failed with <paramref name="failure"/>.</summary>
    public static void Failed(Activity activity, Exception failure)
    {
        activity.SetStatus(ActivityStatusCode.Error, failure.GetType().Name);
        activity.SetTag("error.type", failure.GetType().FullName);
    }
}
