// Access for requests that outlive their start: streams (watch, list follow, election observe,
// /v1/log?follow) and waiting requests (?index=&wait= reads, lock and campaign waits). The gate
// and KeyAccess check a request once, when it starts; such a request registers an AccessWatch
// here, which re-checks it whenever this member applies an auth change, and tells the request
// (a cancelled token, and Check() returning the problem) once its caller has lost access.
// A watch keeps what the request was opened with: the user and generation the gate
// authenticated (or, with auth off, nobody), a bearer token when there was one, and what the
// request covers (keys and access for Keys endpoints; the endpoint's rule otherwise). Access is
// lost, on the first change that makes any of these fail, when:
//  - auth is on and the request was opened without a user (auth was off then): 401;
//  - the user was deleted: 401;
//  - the user's roles no longer grant what the request covers (a role revoked, a role's
//    permissions replaced or deleted, the root role taken): 403;
//  - the bearer token no longer verifies (its user changed, the signing key was replaced): 401,
//    or, without a token, the user's generation changed (a password or role change): 401.
// A request opened as a user while auth was on keeps going while auth is off (everyone may read
// everything then, so ending it would protect nothing) and is checked again as that user when
// auth comes back. A token's expiry is checked when the request starts, not again: an open
// stream ends on revocation, not on the clock.
// Invariants:
//  - No timer and no polling: one re-check pass per auth change (changes that come during a pass
//    queue one more), on the thread pool, never on the applier's thread; a watch that is not
//    lost costs a reference comparison when nothing changed.
//  - A watch registers before its first check against the current state, so a change applied
//    between the gate's check and the registration is not missed.
//  - Check() re-checks against the state as of now, synchronously. The cache is marked stale on
//    the applier's thread before any later entry applies, so a stream that calls Check() before
//    writing never writes a change applied after the change that took its access away.
//  - Once lost, access stays lost for that request (Check() keeps answering the same problem).
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Auth;

/// <summary>Why a stream's caller lost access: the problem its final error event (or answer) carries.</summary>
/// <param name="Status">401 (credentials no longer valid) or 403 (no longer permitted).</param>
/// <param name="Title">The problem's title.</param>
/// <param name="Detail">What happened and what to do.</param>
public sealed record AccessLoss(int Status, string Title, string Detail)
{
    /// <summary>The final event of a stream: these problem details with <c>"type": "error"</c>, as one UTF-8 JSON object.</summary>
    public byte[] ToEventJson()
        => ContractJson.ToUtf8Bytes(new ProblemJson { Type = WatchEventTypes.Error, Title = Title, Status = Status, Detail = Detail }, KvDbJsonContext.Default.ProblemJson);

    /// <summary>Writes the event's members (type, title, status, detail) into an object <paramref name="json"/> is writing.</summary>
    public void WriteEventMembers(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteString("type", WatchEventTypes.Error);
        json.WriteString("title", Title);
        json.WriteNumber("status", Status);
        json.WriteString("detail", Detail);
    }

    /// <summary>The problem-details answer, for a request that has not answered yet.</summary>
    public IResult ToResult() => Problems.Of(Status, Title, Detail);
}

/// <summary>Registers requests that outlive their start and re-checks them when the auth state changes.</summary>
public sealed class StreamAccess
{
    private readonly AuthCache cache;
    private readonly TimeProvider clock;
    private readonly ConcurrentDictionary<AccessWatch, byte> open = new();
    private int passQueued;

    /// <summary>Re-checks the open requests at each change <paramref name="cache"/> reports.</summary>
    public StreamAccess(AuthCache cache, TimeProvider clock)
    {
        this.cache = cache;
        this.clock = clock;
        cache.Changed += OnChanged;
    }

    /// <summary>
    /// Watches the access of a request to an <see cref="AccessRule.Keys"/> endpoint that needs
    /// <paramref name="access"/> on <paramref name="start"/> (<paramref name="singleKey"/>) or on every key of
    /// [<paramref name="start"/>, <paramref name="end"/>); call after the handler's own check passed. Dispose when the request ends.
    /// </summary>
    /// <remarks>
    /// <see cref="Access.ReadWrite"/> needs read and write, each from any role, as the handlers'
    /// two checks (KeyAccess) grant it; not one permission with both.
    /// </remarks>
    public AccessWatch Watch(HttpContext context, Access access, byte[] start, byte[]? end, bool singleKey)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(start);
        var verb = access switch { Access.Read => "read", Access.Write => "write", _ => "read and write" };
        var what = singleKey
            ? $"{verb} key '{Shorten(start)}'"
            : $"{verb} every key this request covers (from '{Shorten(start)}')";
        return Register(
            context,
            (state, user) => ((access & Access.Read) == 0 || state.Allows(user, Access.Read, start, end, singleKey))
                && ((access & Access.Write) == 0 || state.Allows(user, Access.Write, start, end, singleKey)),
            what);
    }

    /// <summary>Watches the access of a request to an endpoint whose rule (Root, AnyUser) says it all; dispose when the request ends.</summary>
    /// <exception cref="InvalidOperationException">The endpoint's rule is Keys: name the keys with the other overload.</exception>
    public AccessWatch Watch(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rule = context.GetEndpoint()?.Metadata.GetMetadata<AccessRuleMetadata>()?.Rule ?? AccessRule.Root;
        return rule switch
        {
            AccessRule.Root => Register(context, static (_, user) => AuthState.IsRoot(user), "use this endpoint: it needs the root role"),
            AccessRule.AnyUser => Register(context, static (_, _) => true, "use this endpoint"),
            AccessRule.Keys => throw new InvalidOperationException("A Keys endpoint names the keys its request covers."),
            _ => Register(context, static (_, _) => true, "use this endpoint"),
        };
    }

    private AccessWatch Register(HttpContext context, Func<AuthState, AuthUser, bool> permitted, string what)
    {
        var caller = context.Features.Get<AuthenticatedCaller>();
        var header = context.Request.Headers.Authorization.ToString();
        var token = caller is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        var watch = new AccessWatch(this, caller, token, clock.GetUtcNow(), permitted, what, context.RequestAborted);
        open.TryAdd(watch, 0);
        if (cache.Current is { } state && watch.Check(state) is not null)
            watch.Cancel();
        return watch;
    }

    /// <summary>The state as of now, for <see cref="AccessWatch.Check()"/>.</summary>
    internal AuthState? Current => cache.Current;

    internal void Remove(AccessWatch watch) => open.TryRemove(watch, out _);

    // On the applier's thread: queue one pass unless one is queued and has not read the state yet.
    private void OnChanged()
    {
        if (Interlocked.Exchange(ref passQueued, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Recheck(), this, preferLocal: false);
    }

    private void Recheck()
    {
        // Cleared before reading: a change applied from here on queues another pass.
        Volatile.Write(ref passQueued, 0);
        if (cache.Current is not { } state)
            return;
        // Enumerating the dictionary itself takes no lock and copies nothing (Keys would do both).
        foreach (var (watch, _) in open)
        {
            // Each lost request is told on its own work item: cancelling runs its waiters' callbacks.
            if (watch.Check(state) is not null)
                ThreadPool.UnsafeQueueUserWorkItem(static lost => lost.Cancel(), watch, preferLocal: false);
        }
    }

    private static string Shorten(byte[] key) => ValueResults.Shorten(Encoding.UTF8.GetString(key));
}

/// <summary>
/// One request's access, re-checked at each auth change (see <see cref="StreamAccess"/>): wait with
/// <see cref="Token"/>, and call <see cref="Check()"/> before writing; dispose when the request ends.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "It is disposable; 'lost' is deliberately never disposed: it has no timer and no wait handle, so disposing frees nothing, and a re-check pass may still cancel it after the request ended (Cancel on a disposed source throws).")]
[SuppressMessage("Usage", "CA2213:Disposable fields should be disposed", Justification = "See CA1001: 'lost' is cancelled by the re-check pass at any time and holds no unmanaged resource.")]
public sealed class AccessWatch : IDisposable
{
    private readonly StreamAccess owner;
    private readonly Lock gate = new();
    private readonly CancellationTokenSource lost = new();
    private readonly CancellationTokenSource linked;
    private readonly AuthUser? user;
    private readonly string? token;
    private readonly DateTimeOffset openedAt;
    private readonly Func<AuthState, AuthUser, bool> permitted;
    private readonly string what;
    private AuthState? checkedAgainst;
    private AccessLoss? loss;

    internal AccessWatch(StreamAccess owner, AuthenticatedCaller? caller, string? token, DateTimeOffset openedAt, Func<AuthState, AuthUser, bool> permitted, string what, CancellationToken aborted)
    {
        this.owner = owner;
        user = caller?.User;
        checkedAgainst = caller?.State;
        this.token = token;
        this.openedAt = openedAt;
        this.permitted = permitted;
        this.what = what;
        linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, lost.Token);
    }

    /// <summary>Cancelled when the client leaves or the caller loses access: for waits (never for writes, which would abort the connection).</summary>
    public CancellationToken Token => linked.Token;

    /// <summary>Null while the caller keeps access; once lost, the problem to end with. Re-checks against the auth state as of now.</summary>
    public AccessLoss? Check() => owner.Current is { } state ? Check(state) : Volatile.Read(ref loss);

    internal AccessLoss? Check(AuthState state)
    {
        lock (gate)
        {
            if (loss is null && !ReferenceEquals(state, checkedAgainst))
            {
                checkedAgainst = state;
                loss = Evaluate(state);
                if (loss is not null)
                    AuthInstruments.RecordAuthRefusal(loss.Status);
            }

            return loss;
        }
    }

    internal void Cancel() => lost.Cancel();

    private AccessLoss? Evaluate(AuthState state)
    {
        if (!state.Settings.Enabled)
            return null;
        if (user is null)
            return Unauthorized("Auth was enabled after this request started without credentials; send it again with credentials.");
        if (!state.Users.TryGetValue(user.Name, out var now))
            return Unauthorized($"User '{user.Name}' was deleted after this request started.");
        if (!permitted(state, now))
        {
            return new(StatusCodes.Status403Forbidden, "Forbidden",
                $"User '{user.Name}' may no longer {what}: a role was revoked or changed after this request started, and no role of theirs grants it now.");
        }

        if (token is not null)
        {
            var (_, failure) = AuthTokens.Verify(token, state, openedAt);
            return failure is null ? null : Unauthorized(failure);
        }

        return now.Generation == user.Generation
            ? null
            : Unauthorized($"User '{user.Name}' changed (password or roles) after this request started; send it again with current credentials.");
    }

    private static AccessLoss Unauthorized(string detail) => new(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    /// <summary>Stops watching.</summary>
    public void Dispose()
    {
        owner.Remove(this);
        linked.Dispose();
    }
}
