// Issue 26, finding 3: open streams outlived access. Permissions were checked only when a stream
// opened, so a watch kept delivering pub/ changes after its user's role was revoked and after the
// user was deleted; list follows, election observations, /v1/log?follow and ?index=&wait= reads
// (and waiting lock and campaign requests) did the same. Every one of them now re-checks its
// caller when the auth state changes and, once access is lost, ends with a final
// {"type": "error", ...} problem event in its own framing (a waiting request answers the problem
// instead). Each test opens the stream as mal (readwrite on pub/, _locks/m/, _elections/m/),
// changes the auth state as root and reads, with a deadline, until the stream ends.
// One test watches on a follower, which must end the stream when it applies the revocation.
// The deadline (8 s) is below every periodic wake-up these streams have (progress=10m here, the
// list follow's 15 s, the log's 10 s), so a stream that ends in time was woken by the auth change.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class StreamAccessTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(8);

    private static readonly AuthenticationHeaderValue Root = Basic("root", "rootpassword");
    private static readonly AuthenticationHeaderValue Mal = Basic("mal", "malpassword");
    private static readonly AuthenticationHeaderValue Admin = Basic("admin", "adminpassword");

    private KvdbCluster cluster = null!;

    // The member requests go to (the tests that do not say start one member).
    private int target = 1;

    public async Task InitializeAsync() => cluster = await KvdbCluster.StartAsync(1, "--in-memory");

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? body = null, AuthenticationHeaderValue? auth = null, string? accept = null, CancellationToken token = default)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(target), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Authorization = auth;
        if (accept is not null)
            request.Headers.Accept.ParseAdd(accept);
        return await cluster.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
    }

    private async Task ExpectAsync(HttpStatusCode expected, string method, string path, string? body = null, AuthenticationHeaderValue? auth = null)
    {
        using var response = await SendAsync(method, path, body, auth);
        response.StatusCode.Should().Be(expected, $"{method} {path}: {await response.Content.ReadAsStringAsync()}");
    }

    // Users and roles as the attack had them; admin has the root role (root itself cannot lose it).
    private async Task SetUpUsersAsync(bool enable = true)
    {
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/roles", """{"name": "m", "permissions": [{"prefix": "pub/", "access": "readwrite"}, {"prefix": "_locks/m/", "access": "readwrite"}, {"prefix": "_elections/m/", "access": "readwrite"}]}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "root", "password": "rootpassword"}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "mal", "password": "malpassword", "roles": ["m"]}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "admin", "password": "adminpassword", "roles": ["root"]}""");
        if (enable)
            await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/enable");
    }

    private Task PutAsync(string key, string value) => ExpectAsync(HttpStatusCode.NoContent, "PUT", "/v1/kv/" + key, value, Root);

    // The auth changes that take mal's access (or its credentials) away, each with the status its error carries.
    private Task ChangeAsync(string change) => change switch
    {
        "revoke" => ExpectAsync(HttpStatusCode.NoContent, "DELETE", "/v1/auth/users/mal/roles/m", auth: Root),
        "delete" => ExpectAsync(HttpStatusCode.NoContent, "DELETE", "/v1/auth/users/mal", auth: Root),
        "password" => ExpectAsync(HttpStatusCode.NoContent, "PUT", "/v1/auth/users/mal/password", """{"password": "anotherpassword"}""", Root),
        "permissions" => ExpectAsync(HttpStatusCode.OK, "PUT", "/v1/auth/roles/m", """{"permissions": [{"prefix": "other/", "access": "readwrite"}]}""", Root),
        _ => throw new ArgumentOutOfRangeException(nameof(change), change, null),
    };

    private async Task<EventStream> OpenAsync(string path, AuthenticationHeaderValue? auth, bool sse = false, int? member = null)
    {
        var previous = target;
        target = member ?? target;
        HttpResponseMessage response;
        try
        {
            response = await SendAsync("GET", path, auth: auth, accept: sse ? "text/event-stream" : null);
        }
        finally
        {
            target = previous;
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        }

        return new EventStream(path, response, new StreamReader(await response.Content.ReadAsStreamAsync()), sse);
    }

    [Theory]
    [InlineData("revoke", 403, false)]
    [InlineData("delete", 401, true)]
    [InlineData("password", 401, false)]
    [InlineData("permissions", 403, true)]
    public async Task A_watch_ends_with_an_error_event_when_its_user_loses_access(string change, int status, bool sse)
    {
        await SetUpUsersAsync();
        using var watch = await OpenAsync("/v1/watch?prefix=pub/&progress=10m", Mal, sse);
        await PutAsync("pub/a", "1");
        await watch.NextAsync(e => IsChange(e, "pub/a"), "the put of pub/a while mal may read pub/");

        await ChangeAsync(change);

        var error = await watch.NextAsync(IsError, $"an error event after '{change}'");
        error.GetProperty("status").GetInt32().Should().Be(status, watch.Describe());
        error.GetProperty("detail").GetString().Should().Contain("mal", watch.Describe());
        await watch.EndsAsync();
    }

    [Fact]
    public async Task A_watch_on_a_follower_ends_when_the_follower_applies_the_revocation()
    {
        await cluster.DisposeAsync();
        cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        target = await cluster.WaitForLeaderAsync();
        var follower = target % 3 + 1;
        await SetUpUsersAsync();
        // Opened before the follower applied auth enable, the watch would be anonymous (and end with 401 when it does).
        await Eventually.WaitUntilAsync(
            async () =>
            {
                using var status = await cluster.Client.GetAsync(new Uri(cluster.Url(follower), "v1/auth/status"));
                return (await status.Content.ReadAsStringAsync()).Contains("\"enabled\":true", StringComparison.Ordinal);
            },
            $"member {follower} to apply auth enable",
            KvdbCluster.Patience);
        using var watch = await OpenAsync("/v1/watch?prefix=pub/&progress=10m", Mal, member: follower);

        await ChangeAsync("revoke");

        var error = await watch.NextAsync(IsError, $"an error event from follower {follower} after the revocation");
        error.GetProperty("status").GetInt32().Should().Be(403, watch.Describe());
        await watch.EndsAsync();
    }

    [Fact]
    public async Task No_change_after_the_revocation_reaches_the_watch()
    {
        await SetUpUsersAsync();
        using var watch = await OpenAsync("/v1/watch?prefix=pub/&progress=10m", Mal);
        await ChangeAsync("revoke");
        await PutAsync("pub/after", "secret");

        await watch.NextAsync(IsError, "an error event after the revocation");
        await watch.EndsAsync();
        watch.Events.Should().NotContain(e => IsChange(e, "pub/after"), "the put came after mal lost pub/");
    }

    [Theory]
    [InlineData("password")]
    [InlineData("rotate-key")]
    public async Task A_watch_opened_with_a_token_ends_when_the_token_is_revoked(string change)
    {
        await SetUpUsersAsync();
        using var issued = await SendAsync("POST", "/v1/auth/token", """{"name": "mal", "password": "malpassword"}""");
        issued.StatusCode.Should().Be(HttpStatusCode.OK, await issued.Content.ReadAsStringAsync());
        var token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using var watch = await OpenAsync("/v1/watch?key=pub/a&progress=10m", new AuthenticationHeaderValue("Bearer", token));

        await (change == "rotate-key" ? ExpectAsync(HttpStatusCode.NoContent, "POST", "/v1/auth/rotate-key", auth: Root) : ChangeAsync(change));

        var error = await watch.NextAsync(IsError, $"an error event after '{change}'");
        error.GetProperty("status").GetInt32().Should().Be(401, watch.Describe());
        await watch.EndsAsync();
    }

    [Fact]
    public async Task An_anonymous_watch_opened_while_auth_was_off_ends_when_auth_is_enabled()
    {
        await SetUpUsersAsync(enable: false);
        using var watch = await OpenAsync("/v1/watch?prefix=pub/&progress=10m", auth: null, sse: true);

        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/enable");

        var error = await watch.NextAsync(IsError, "an error event after auth was enabled");
        error.GetProperty("status").GetInt32().Should().Be(401, watch.Describe());
        await watch.EndsAsync();
    }

    [Fact]
    public async Task A_watch_opened_with_auth_on_goes_on_when_auth_is_disabled()
    {
        // Documented choice: with auth off everyone may read everything, so ending the stream protects nothing.
        await SetUpUsersAsync();
        using var watch = await OpenAsync("/v1/watch?prefix=pub/&progress=10m", Mal);
        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/disable", auth: Root);
        await PutAsync("pub/b", "2");

        await watch.NextAsync(e => IsChange(e, "pub/b"), "the put of pub/b after auth was disabled");
        watch.Events.Should().NotContain(e => IsError(e));
    }

    [Fact]
    public async Task A_list_follow_ends_with_an_error_line_when_the_role_is_revoked()
    {
        await SetUpUsersAsync();
        await ExpectAsync(HttpStatusCode.Created, "PUT", "/v1/keyspaces/pub", auth: Root);
        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/lists/pub/events", """{"items": [{"value": "one"}]}""", Mal);
        using var follow = await OpenAsync("/v1/lists/pub/events?follow=true", Mal);
        await follow.NextAsync(e => IsItem(e, "one"), "the list's first item");

        await ChangeAsync("revoke");
        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/lists/pub/events", """{"items": [{"value": "after"}]}""", Root);

        var error = await follow.NextAsync(IsError, "an error line after the revocation");
        error.GetProperty("status").GetInt32().Should().Be(403, follow.Describe());
        await follow.EndsAsync();
        follow.Events.Should().NotContain(e => IsItem(e, "after"), "the item came after mal lost pub/");
    }

    [Fact]
    public async Task An_election_observation_ends_with_an_error_line_when_the_user_is_deleted()
    {
        await SetUpUsersAsync();
        using var observe = await OpenAsync("/v1/elections/m/observe?progress=10m", Mal);
        await observe.NextAsync(e => e.TryGetProperty("leader", out _) || e.TryGetProperty("key", out _), "the first observation");

        await ChangeAsync("delete");

        var error = await observe.NextAsync(IsError, "an error line after mal was deleted");
        error.GetProperty("status").GetInt32().Should().Be(401, observe.Describe());
        await observe.EndsAsync();
    }

    [Fact]
    public async Task A_log_follow_ends_with_an_error_line_when_its_user_loses_the_root_role()
    {
        await SetUpUsersAsync();
        using var log = await OpenAsync("/v1/log?follow=true", Admin);
        await log.NextAsync(e => e.TryGetProperty("index", out _), "a log entry");

        await ExpectAsync(HttpStatusCode.NoContent, "DELETE", "/v1/auth/users/admin/roles/root", auth: Root);

        var error = await log.NextAsync(IsError, "an error line after admin lost the root role");
        error.GetProperty("status").GetInt32().Should().Be(403, log.Describe());
        await log.EndsAsync();
    }

    [Fact]
    public async Task A_blocking_read_answers_the_problem_when_the_role_is_revoked_while_it_waits()
    {
        await SetUpUsersAsync();
        await PutAsync("pub/a", "1");
        using var first = await SendAsync("GET", "/v1/kv/pub/a", auth: Mal);
        var index = first.Headers.GetValues("X-Kvdb-Index").Single();

        using var deadline = new CancellationTokenSource(Deadline);
        var waiting = SendAsync("GET", $"/v1/kv/pub/a?index={index}&wait=5m", auth: Mal, token: deadline.Token);
        await ChangeAsync("revoke");
        await PutAsync("pub/a", "secret");

        using var answer = await WithinDeadline(waiting, "the blocking read to answer");
        var body = await answer.Content.ReadAsStringAsync();
        answer.StatusCode.Should().Be(HttpStatusCode.Forbidden, body);
        answer.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        body.Should().NotContain("secret");
    }

    [Fact]
    public async Task Waiting_lock_and_campaign_requests_answer_the_problem_when_the_role_is_revoked()
    {
        await SetUpUsersAsync();
        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/locks/m?ttl=60s", auth: Root);
        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/elections/m/campaign?ttl=60s", """{"value": "root"}""", Root);

        using var deadline = new CancellationTokenSource(Deadline);
        var lockWait = SendAsync("POST", "/v1/locks/m?ttl=30s&timeout=5m", auth: Mal, token: deadline.Token);
        var campaign = SendAsync("POST", "/v1/elections/m/campaign?ttl=30s&timeout=5m", """{"value": "mal"}""", Mal, token: deadline.Token);
        await Eventually.WaitUntilAsync(async () => await CandidatesAsync("_elections/m/") == 2 && await CandidatesAsync("_locks/m/") == 2, "mal to queue for the lock and the election");

        await ChangeAsync("revoke");

        using var locked = await WithinDeadline(lockWait, "the lock request to answer");
        locked.StatusCode.Should().Be(HttpStatusCode.Forbidden, await locked.Content.ReadAsStringAsync());
        using var elected = await WithinDeadline(campaign, "the campaign to answer");
        elected.StatusCode.Should().Be(HttpStatusCode.Forbidden, await elected.Content.ReadAsStringAsync());
        (await CandidatesAsync("_elections/m/")).Should().Be(1, "mal's candidacy was withdrawn");
        (await CandidatesAsync("_locks/m/")).Should().Be(1, "mal left the lock's queue");
    }

    private async Task<int> CandidatesAsync(string prefix)
    {
        using var response = await SendAsync("GET", "/v1/kv?prefix=" + Uri.EscapeDataString(prefix), auth: Root);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items").GetArrayLength();
    }

    private static async Task<HttpResponseMessage> WithinDeadline(Task<HttpResponseMessage> request, string what)
    {
        try
        {
            return await request;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Waited {Deadline.TotalSeconds} s for {what}; it was still waiting (access lost did not end it).");
        }
    }

    private static bool IsError(JsonElement e) => e.TryGetProperty("type", out var type) && type.GetString() == "error";

    private static bool IsItem(JsonElement e, string value) => e.TryGetProperty("value", out var v) && v.GetString() == value;

    private static bool IsChange(JsonElement e, string key)
        => e.TryGetProperty("type", out var type) && type.GetString() is "put" or "delete" && e.GetProperty("key").GetString() == key;

    // One open stream's events (NDJSON lines, or the data of Server-Sent Events), read with a
    // deadline; a wait that runs out or a stream that ends first fails with every event seen.
    private sealed class EventStream(string path, HttpResponseMessage response, StreamReader reader, bool sse) : IDisposable
    {
        public List<JsonElement> Events { get; } = [];

        public string Describe() => $"GET {path} sent:\n" + string.Join('\n', Events.Select(e => e.GetRawText()));

        public async Task<JsonElement> NextAsync(Func<JsonElement, bool> match, string what)
        {
            using var deadline = new CancellationTokenSource(Deadline);
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"Waited {Deadline.TotalSeconds} s for {what}. {Describe()}");
                }

                if (line is null)
                    throw new InvalidOperationException($"The stream ended before {what}. {Describe()}");
                if (sse)
                {
                    if (!line.StartsWith("data: ", StringComparison.Ordinal))
                        continue;
                    line = line["data: ".Length..];
                }

                if (line.Length == 0)
                    continue;
                var json = JsonDocument.Parse(line).RootElement.Clone();
                Events.Add(json);
                if (match(json))
                    return json;
            }
        }

        // After the error event the member ends the response: nothing but framing, then the end.
        public async Task EndsAsync()
        {
            using var deadline = new CancellationTokenSource(Deadline);
            try
            {
                while (await reader.ReadLineAsync(deadline.Token) is { } line)
                    line.Trim().Should().BeEmpty($"nothing follows the error event. {Describe()}");
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The stream did not end within {Deadline.TotalSeconds} s of its error event. {Describe()}");
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }
}
