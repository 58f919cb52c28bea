// Issue 26, finding 11: wuser may write drop/ (and _locks/w/) but read nothing. Whatever wuser
// sends, the answer for a key that exists must equal the answer for one that does not: no
// current revision in a 412, no 404-or-204 on a delete, no deleted count in a transaction, no
// list offsets or timestamps, no lock holder released or revealed. Writing itself still works.
// A transaction's range comparison is an oracle on every key it covers (a count or a revision
// over them): it needs read on the whole range, so neither wuser nor mal (readwrite on pub/
// only) may compare past what they read.
using System.Net;
using System.Text.Json;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class WriteOnlyLeakTests(AttackerClusterFixture fixture) : IClassFixture<AttackerClusterFixture>
{
    private readonly AttackerClient http = new(fixture.Cluster);

    // What an answer tells its reader, less the revision of the caller's own write.
    private sealed record Answer(HttpStatusCode Status, bool CurrentRevision, string? DeletedCount, string? Offsets);

    private static async Task<Answer> AnswerOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        string? deleted = null, offsets = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0)
        {
            var json = JsonDocument.Parse(text).RootElement;
            if (json.TryGetProperty("results", out var results))
                deleted = string.Join(",", results.EnumerateArray().Where(static r => r.TryGetProperty("delete", out _)).Select(static r => r.GetProperty("delete").GetProperty("deleted").GetInt64()));
            if (json.TryGetProperty("firstOffset", out var first))
                offsets = $"{first.GetInt64()}..{json.GetProperty("lastOffset").GetInt64()} skipped {json.GetProperty("skipped").GetInt64()}";
        }

        return new Answer(response.StatusCode, text.Contains("currentRevision", StringComparison.Ordinal), deleted, offsets);
    }

    private async Task<Answer> AsWUserAsync(string method, string path, string? body = null, params (string Name, string Value)[] headers)
    {
        using var response = await http.SendAsync(2, AttackerClient.WUser, method, path, body, headers);
        return await AnswerOf(response);
    }

    private async Task RootPutsAsync(string key, string value = "exists")
        => await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "PUT", $"/v1/kv/{key}", value);

    [Fact]
    public async Task A_conditional_write_tells_a_write_only_user_nothing_about_the_key()
    {
        await RootPutsAsync("drop/cas");

        foreach (var condition in new[] { ("If-Match", "\"1\""), ("If-Match", "*"), ("If-None-Match", "*") })
        {
            var existing = await AsWUserAsync("PUT", "/v1/kv/drop/cas", "w", condition);
            var missing = await AsWUserAsync("PUT", $"/v1/kv/drop/cas-missing-{condition.Item1}-{condition.Item2.Trim('"')}", "w", condition);
            existing.Should().Be(missing, $"{condition.Item1}: {condition.Item2} must not tell an existing key from a missing one");
            existing.CurrentRevision.Should().BeFalse();

            var typedExisting = await AsWUserAsync("PUT", "/api", """{"key": "drop/cas", "value": {"Str": "w"}}""", condition);
            var typedMissing = await AsWUserAsync("PUT", "/api", """{"key": "drop/cas-typed-missing", "value": {"Str": "w"}}""", condition);
            typedExisting.Should().Be(typedMissing, $"S2 with {condition.Item1}: {condition.Item2}");
        }

        (await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "GET", "/v1/kv/drop/cas")).Should().Be("exists");
    }

    [Fact]
    public async Task A_delete_answers_a_write_only_user_the_same_whether_or_not_the_key_existed()
    {
        await RootPutsAsync("drop/del");
        await RootPutsAsync("drop/del-typed");

        var existing = await AsWUserAsync("DELETE", "/v1/kv/drop/del");
        var missing = await AsWUserAsync("DELETE", "/v1/kv/drop/never-was");
        existing.Should().Be(missing);
        existing.Status.Should().Be(HttpStatusCode.NoContent);

        var typedExisting = await AsWUserAsync("DELETE", "/api?key=drop/del-typed");
        var typedMissing = await AsWUserAsync("DELETE", "/api?key=drop/never-was-typed");
        typedExisting.Should().Be(typedMissing);
        typedExisting.Status.Should().Be(HttpStatusCode.NoContent);

        // The deletes did happen.
        await http.ExpectAsync(HttpStatusCode.NotFound, 1, AttackerClient.Root, "GET", "/v1/kv/drop/del");
        await http.ExpectAsync(HttpStatusCode.NotFound, 1, AttackerClient.Root, "GET", "/v1/kv/drop/del-typed");
    }

    [Fact]
    public async Task A_transaction_does_not_count_a_write_only_users_deletes()
    {
        await RootPutsAsync("drop/t1");
        await RootPutsAsync("drop/range/a");

        var existing = await AsWUserAsync("POST", "/v1/txn", """{"then": [{"delete": {"key": "drop/t1"}}]}""");
        var missing = await AsWUserAsync("POST", "/v1/txn", """{"then": [{"delete": {"key": "drop/t-never"}}]}""");
        existing.Should().Be(missing);

        var range = await AsWUserAsync("POST", "/v1/txn", """{"then": [{"delete": {"prefix": "drop/range/"}}]}""");
        var empty = await AsWUserAsync("POST", "/v1/txn", """{"then": [{"delete": {"prefix": "drop/empty-range/"}}]}""");
        range.Should().Be(empty);

        // Puts in a transaction still work for a write-only user.
        var put = await AsWUserAsync("POST", "/v1/txn", """{"then": [{"put": {"key": "drop/t2", "value": "w"}}]}""");
        put.Status.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_range_comparison_needs_read_on_every_key_it_covers()
    {
        await RootPutsAsync("drop/secret-count");
        static string Counting(string range) => """{"if": [{""" + range + """, "target": "count", "op": ">", "value": 0}], "then": [{"put": {"key": "pub/oracle", "value": "x"}}]}""";

        foreach (var (who, range) in new[]
        {
            (AttackerClient.WUser, "\"prefix\": \"drop/\""),
            (AttackerClient.Mal, "\"prefix\": \"drop/\""),
            (AttackerClient.Mal, "\"prefix\": \"pu\""),
            (AttackerClient.Mal, "\"prefix\": \"\""),
            (AttackerClient.Mal, "\"start\": \"pub/\""),
            (AttackerClient.Mal, "\"start\": \"pub/\", \"end\": \"pub0x\""),
        })
        {
            await http.ExpectAsync(HttpStatusCode.Forbidden, 2, who, "POST", "/v1/txn", Counting(range));
        }

        (await http.ExpectAsync(HttpStatusCode.OK, 2, AttackerClient.Mal, "POST", "/v1/txn", Counting("\"prefix\": \"pub/\""))).Should().Contain("\"succeeded\"");
        (await http.ExpectAsync(HttpStatusCode.OK, 2, AttackerClient.Mal, "POST", "/v1/txn", Counting("\"start\": \"pub/a\", \"end\": \"pub/z\""))).Should().Contain("\"succeeded\"");
    }

    [Fact]
    public async Task Appending_to_a_list_tells_a_write_only_user_nothing_about_it()
    {
        await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "POST", "/v1/lists/drop/busy", """{"items": [{"value": "a"}, {"value": "b"}, {"value": "c", "nonce": "100"}]}""");

        var busy = await AsWUserAsync("POST", "/v1/lists/drop/busy", """{"items": [{"value": "w"}]}""");
        var fresh = await AsWUserAsync("POST", "/v1/lists/drop/fresh", """{"items": [{"value": "w"}]}""");
        busy.Should().Be(fresh);
        busy.Status.Should().Be(HttpStatusCode.OK);

        // Timestamps and nonces are compared with the list's own: answers would read it.
        var old = await AsWUserAsync("POST", "/v1/lists/drop/busy", """{"items": [{"value": "w", "timestamp": 1}]}""");
        var oldFresh = await AsWUserAsync("POST", "/v1/lists/drop/fresh-ts", """{"items": [{"value": "w", "timestamp": 1}]}""");
        old.Should().Be(oldFresh);
        var nonce = await AsWUserAsync("POST", "/v1/lists/drop/busy", """{"items": [{"value": "w", "nonce": "50"}]}""");
        var nonceFresh = await AsWUserAsync("POST", "/v1/lists/drop/fresh-nonce", """{"items": [{"value": "w", "nonce": "50"}]}""");
        nonce.Should().Be(nonceFresh);
    }

    [Fact]
    public async Task Locks_neither_release_nor_reveal_another_holder_to_a_write_only_user()
    {
        var held = await http.JsonAsync(1, AttackerClient.Root, "POST", "/v1/locks/w?ttl=60s");
        var key = held.GetProperty("key").GetString()!;
        var suffix = key[(key.LastIndexOf('/') + 1)..];

        var release = await AsWUserAsync("DELETE", $"/v1/locks/w/{suffix}");
        var releaseMissing = await AsWUserAsync("DELETE", "/v1/locks/w/00000000000000aag");
        release.Should().Be(releaseMissing);

        // Root still holds the lock, its lease alive.
        var info = await http.JsonAsync(1, AttackerClient.Root, "GET", "/v1/locks/w");
        info.GetProperty("holder").GetProperty("key").GetString().Should().Be(key);
        await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "GET", $"/v1/leases/{held.GetProperty("lease").GetInt64()}");

        // Waiting behind a holder would tell it is there.
        var acquire = await AsWUserAsync("POST", "/v1/locks/w?ttl=5s&timeout=200ms");
        acquire.Status.Should().Be(HttpStatusCode.Forbidden);
        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "DELETE", $"/v1/locks/w/{suffix}");
    }

    [Fact]
    public async Task A_write_only_user_still_writes_and_gets_its_own_writes_revision()
    {
        using var put = await http.SendAsync(2, AttackerClient.WUser, "PUT", "/v1/kv/drop/mine", "w");
        put.StatusCode.Should().Be(HttpStatusCode.NoContent);
        put.Headers.GetValues("X-Kvdb-Revision").Single().Should().MatchRegex("^[0-9]+$");
        (await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "GET", "/v1/kv/drop/mine")).Should().Be("w");
    }
}
