// KvDb.Contracts without a server: documents of kvdb's JSON API parse into the records and
// serialise back to the same bytes (compact input in the serializer's default escaping), the
// server's transaction answer keeps its canonical minimal escaping, and what does not fit is
// reported by place.
using System.Text;
using System.Text.Json.Serialization.Metadata;
using KvDb.Contracts;
using KvDb.Core.Transactions;
using KvDb.Core.Values;
using KvDb.Node.Transactions;
using Compare = KvDb.Client.Compare;
using KvClient = KvDb.Client.KvClient;
using KvClientOptions = KvDb.Client.KvClientOptions;
using Op = KvDb.Client.Op;

namespace KvDb.Tests.Contracts;

public sealed class ContractRoundTripTests
{
    [Theory]
    [InlineData("""{"if":[{"key":"acct/a","target":"revision","op":"==","value":41},{"key":"acct/b","target":"exists","op":"!=","value":false},{"key":"s","target":"value","op":"\u003C","value":"m"}],"then":[{"put":{"key":"acct/a","value":"70","lease":9}},{"put":{"key":"bin","valueBase64":"+/8="}},{"put":{"key":"t","typed":{"Set":[{"Int":3},{"Str":"x"}]}}},{"delete":{"key":"d"}},{"delete":{"prefix":"tmp/"}}],"else":[{"get":{"key":"acct/a"}},{"range":{"prefix":"user/","limit":10}},{"range":{"start":"a","end":"m","limit":5}},{"delete":{"start":"x"}}]}""")]
    [InlineData("""{"then":[{"range":{"prefix":"p"}}]}""")]
    public void Transaction_requests_read_and_write_back_unchanged(string json) => RoundTrip(json, KvDbJsonContext.Default.TxnRequestJson);

    [Fact]
    public void A_transaction_answer_keeps_get_null_and_leaves_out_what_does_not_apply()
        => RoundTrip(
            """{"succeeded":false,"revision":57,"results":[{"put":{"revision":57}},{"delete":{"revision":57,"deleted":1}},{"get":null},{"get":{"key":"k","value":"{\u0022Int\u0022:3}","typed":true,"revision":3,"createRevision":2,"version":1}},{"range":{"items":[{"key":"b","valueBase64":"AP8=","revision":4,"createRevision":4,"version":1}],"more":true}}]}""",
            KvDbJsonContext.Default.TxnResponseJson);

    [Theory]
    [InlineData("""{"items":[{"key":"a","value":"1","revision":5},{"key":"b","valueBase64":"+/8=","revision":6},{"key":"t","value":"{\u0022Bool\u0022:true}","typed":true,"revision":7}],"continuation":null,"revision":9}""")]
    [InlineData("""{"items":[],"continuation":"YQ","revision":1}""")]
    public void Range_pages_keep_a_null_continuation(string json) => RoundTrip(json, KvDbJsonContext.Default.RangePageJson);

    [Theory]
    [InlineData("""{"type":"put","key":"a","value":"2","revision":8,"prevValue":"1","prevRevision":5}""")]
    [InlineData("""{"type":"delete","key":"a","revision":9,"prevValueBase64":"/w==","prevRevision":8}""")]
    [InlineData("""{"type":"progress","revision":9}""")]
    [InlineData("""{"type":"compacted","compactRevision":3}""")]
    public void Watch_events_write_only_their_own_fields(string json) => RoundTrip(json, KvDbJsonContext.Default.WatchEventJson);

    [Fact]
    public void Lease_documents_round_trip()
    {
        RoundTrip("""{"ttl":"10s"}""", KvDbJsonContext.Default.LeaseGrantRequestJson);
        RoundTrip("""{"id":7,"ttl":"1m","ttlSeconds":60,"revision":3}""", KvDbJsonContext.Default.LeaseGrantedJson);
        RoundTrip("""{"id":7,"ttlSeconds":2.5,"remainingSeconds":1.25}""", KvDbJsonContext.Default.LeaseTimeJson);
        RoundTrip("""{"id":7,"ttlSeconds":10,"remainingSeconds":null,"keys":["a","b"]}""", KvDbJsonContext.Default.LeaseInfoJson);
        RoundTrip("""{"count":1,"leases":[{"id":7,"ttlSeconds":10}]}""", KvDbJsonContext.Default.LeaseListJson);
        ContractJson.Read("""{"ttl": 30}""", KvDbJsonContext.Default.LeaseGrantRequestJson).Ttl.Should().Be("30", "a TTL may be a number of seconds");
    }

    [Fact]
    public void List_documents_round_trip_with_128_bit_nonces()
    {
        RoundTrip("""{"items":[{"valueBase64":"eA==","nonce":340282366920938463463374607431768211455,"timestamp":1700000000000},{"value":"y"}]}""", KvDbJsonContext.Default.ListAppendRequestJson);
        RoundTrip("""{"firstOffset":3,"lastOffset":4,"appended":2,"skipped":0,"revision":12}""", KvDbJsonContext.Default.ListAppendedJson);
        RoundTrip("""{"keyspace":"ks","key":"k","items":[{"offset":0,"nonce":18446744073709551616,"timestamp":1700000000000,"value":"x"},{"offset":1,"nonce":null,"timestamp":1700000000001,"valueBase64":"/w=="}],"continuation":null,"stats":{"returned":2,"count":2,"firstOffset":0,"nextOffset":2,"bytes":2}}""", KvDbJsonContext.Default.ListPageJson);
        RoundTrip("""{"keyspaces":[{"name":"ks","createdAt":"2024-05-01T10:00:00+00:00","keys":1,"items":2,"bytes":3}]}""", KvDbJsonContext.Default.KeyspaceListJson);
        RoundTrip("""{"keyspace":"ks","key":"k","firstOffset":0,"lastOffset":1,"count":2,"bytes":2,"lastNonce":null,"firstTimestamp":1,"lastTimestamp":2}""", KvDbJsonContext.Default.ListInfoJson);
        ContractJson.Read("""{"items":[{"value":"x","nonce":"42"}]}""", KvDbJsonContext.Default.ListAppendRequestJson).Items![0]!.Nonce.Should().Be((UInt128)42, "a nonce may come as a string of digits");
    }

    [Fact]
    public void Cluster_coordination_and_auth_documents_round_trip_with_their_nulls()
    {
        RoundTrip("""[{"id":1,"peerUrl":"http://127.0.0.1:12381","httpUrl":"http://127.0.0.1:12380/","role":"leader","reachable":true,"version":"0.2.0"},{"id":2,"peerUrl":"http://127.0.0.1:22381","httpUrl":null,"role":"follower","reachable":false,"version":null}]""", KvDbJsonContext.Default.ListMemberJson);
        RoundTrip("""{"id":1,"peerUrl":"p","httpUrl":"h","role":"leader","term":3,"leader":{"id":1,"peerUrl":"p","httpUrl":null},"commitIndex":10,"appliedIndex":10,"lastLogIndex":10,"snapshotIndex":0,"ready":true,"readiness":"ready","members":[],"dataDir":"/d","dataDirBytes":4096,"diskFreeBytes":-1,"minFreeDiskBytes":0,"writesRefused":false,"inMemory":true,"version":"0.1.0","startedAt":"2024-05-01T10:00:00+00:00","uptimeSeconds":12.5,"watch":{"open":0,"attached":0,"historyCompactedRevision":0,"historyWindow":"1h","historyFloor":1000,"recentRecords":0},"leases":{"alive":0,"keepingClock":true},"clusterId":null,"backup":null,"clusterVersion":"0.1.0","unavailableCommands":[{"command":"StreamAppend","members":[2,3]}]}""", KvDbJsonContext.Default.StatusJson);
        RoundTrip("""{"name":"deploy","holder":null,"waiting":[]}""", KvDbJsonContext.Default.LockInfoJson);
        RoundTrip("""{"name":"deploy","key":"_locks/deploy/7","revision":12,"lease":7}""", KvDbJsonContext.Default.LockHeldJson);
        RoundTrip("""{"name":"s","key":"_elections/s/7","value":"v","revision":12,"modRevision":14}""", KvDbJsonContext.Default.ProclaimedJson);
        RoundTrip("""{"name":"root","permissions":[{"prefix":"","access":"readwrite"}],"builtIn":true}""", KvDbJsonContext.Default.RoleJson);
        RoundTrip("""{"roles":[{"name":"reader","permissions":[{"prefix":"app/","access":"read"}]}]}""", KvDbJsonContext.Default.RoleListJson);
        RoundTrip("""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Bad request","status":400,"detail":"no"}""", KvDbJsonContext.Default.ProblemJson);
    }

    [Fact]
    public void The_servers_transaction_answer_keeps_its_minimal_escaping_and_typed_values()
    {
        var typed = TypedValueCodec.Encode(TypedValueJson.Parse("""{"Str":"a<é"}"""));
        var reply = new TxnReply
        {
            Succeeded = true,
            Results =
            [
                new TxnOperationResult { Kind = TxnOperationKind.Put, Revision = 9 },
                new TxnOperationResult { Kind = TxnOperationKind.DeleteRange, Revision = 9, Deleted = 2 },
                new TxnOperationResult { Kind = TxnOperationKind.Get },
                new TxnOperationResult { Kind = TxnOperationKind.Get, Item = new TxnItem { Key = "k<é"u8.ToArray(), Value = typed, Kind = KvDb.Core.Commands.ValueKind.Typed, Revision = 9, CreateRevision = 4, Version = 2 } },
                new TxnOperationResult { Kind = TxnOperationKind.Range, Items = [new TxnItem { Key = "b"u8.ToArray(), Value = [0, 255], Revision = 3, CreateRevision = 3, Version = 1 }], More = true },
            ],
        };

        Encoding.UTF8.GetString(TxnResponse.Encode(reply, 9)).Should().Be(
            """{"succeeded":true,"revision":9,"results":[{"put":{"revision":9}},{"delete":{"revision":9,"deleted":2}},{"get":null},{"get":{"key":"k<é","value":"{\"Str\":\"a<é\"}","typed":true,"revision":9,"createRevision":4,"version":2}},{"range":{"items":[{"key":"b","valueBase64":"AP8=","revision":3,"createRevision":3,"version":1}],"more":true}}]}""");
    }

    [Fact]
    public void A_transaction_the_client_builds_is_the_command_the_server_reads()
    {
        using var kv = new KvClient(new KvClientOptions { Endpoints = [new Uri("http://127.0.0.1:1")] });
        var json = kv.Transaction()
            .If(Compare.Revision("acct/a") == 41, Compare.Absent("acct/c"))
            .Then(Op.Put("acct/a", "70", lease: 9), Op.Put("bin", [0, 255]), Op.DeletePrefix("tmp/"))
            .Else(Op.Get("acct/a"), Op.Range("a", "m", 5))
            .ToJson();

        var (command, error) = TxnRequest.Parse(Encoding.UTF8.GetBytes(json), maxOps: 8, maxValueBytes: 1024, idempotencyKey: null);

        error.Should().BeNull();
        command!.Comparisons.Select(c => (Encoding.UTF8.GetString(c.Key), c.Target, c.Operator, c.Number))
            .Should().Equal(("acct/a", TxnTarget.Revision, TxnOperator.Equal, 41L), ("acct/c", TxnTarget.Exists, TxnOperator.Equal, 0L));
        command.Then.Select(o => (o.Kind, Encoding.UTF8.GetString(o.Key), o.Lease))
            .Should().Equal((TxnOperationKind.Put, "acct/a", 9L), (TxnOperationKind.Put, "bin", 0L), (TxnOperationKind.DeleteRange, "tmp/", 0L));
        command.Then[1].Value.Should().Equal(0, 255);
        command.Else.Select(o => (o.Kind, Encoding.UTF8.GetString(o.Key), o.End is null ? null : Encoding.UTF8.GetString(o.End), o.Limit))
            .Should().Equal((TxnOperationKind.Get, "acct/a", null, 0), (TxnOperationKind.Range, "a", "m", 5));
    }

    [Theory]
    [InlineData("not json", "The body is not valid JSON")]
    [InlineData("", "The body is not valid JSON")]
    [InlineData("[1]", "The body must be a JSON object with \"if\", \"then\" and \"else\" lists.")]
    [InlineData("""{"then": 5}""", "\"then\" must be a list.")]
    [InlineData("""{"then": [5]}""", "\"then[0]\" must be an object.")]
    [InlineData("""{"then": [{"put": {"key": "a", "value": "v", "lease": "7"}}]}""", "\"then[0].put.lease\" must be a whole number.")]
    [InlineData("""{"then": [{"range": {"prefix": "a", "limit": 1.5}}]}""", "\"then[0].range.limit\" must be a whole number.")]
    [InlineData("""{"if": [{"key": ["a"]}]}""", "\"if[0].key\" must be a string.")]
    [InlineData("""{"then": [{"put": {"key": "a", "value": "1"}, "get": {"key": "a"}}]}""", "Each operation is an object with one of")]
    [InlineData("""{"then": [{"put": {"key": "a", "value": "1", "lease": 0}}]}""", "not a lease id")]
    [InlineData("""{"if": [{"key": "a", "target": "version", "op": "<", "value": 1e400}]}""", "whole number 0 or more")]
    [InlineData("""{"then": [{"put": {"key": "big", "valueBase64": "!!"}}]}""", "\"then[0].put.valueBase64\" is not base64")]
    public void The_server_names_what_does_not_fit_a_transaction(string body, string says)
    {
        var (command, error) = TxnRequest.Parse(Encoding.UTF8.GetBytes(body), maxOps: 4, maxValueBytes: 1024, idempotencyKey: null);
        command.Should().BeNull();
        error.Should().Contain(says);
    }

    [Theory]
    [InlineData("{", true, "", null)]
    [InlineData("null", false, "", "an object")]
    [InlineData("""{"items": {}}""", false, "items", "a list")]
    [InlineData("""{"items": [{"value": "x", "timestamp": "soon"}]}""", false, "items[0].timestamp", "a whole number")]
    [InlineData("""{"items": [{"value": "x", "nonce": 1e5}]}""", false, "items[0].nonce", "a whole number")]
    [InlineData("""{"items": [{"value": "x", "nonce": 340282366920938463463374607431768211456}]}""", false, "items[0].nonce", "a whole number")]
    [InlineData("""{"items": [{"value": "x", "nonce": " 5"}]}""", false, "items[0].nonce", "a whole number")]
    [InlineData("""{"items": [{"valueBase64": "!!"}]}""", false, "items[0].valueBase64", "base64 text")]
    public void What_does_not_fit_is_reported_by_place(string json, bool notJson, string path, string? expected)
    {
        var misfit = FluentActions.Invoking(() => ContractJson.Read(json, KvDbJsonContext.Default.ListAppendRequestJson)).Should().Throw<ContractFormatException>().Which;
        (misfit.NotJson, misfit.Path, misfit.Expected).Should().Be((notJson, path, expected));
    }

    private static void RoundTrip<T>(string json, JsonTypeInfo<T> type)
        where T : class
    {
        var read = ContractJson.Read(json, type);
        Encoding.UTF8.GetString(ContractJson.ToUtf8Bytes(read, type)).Should().Be(json);
    }
}
