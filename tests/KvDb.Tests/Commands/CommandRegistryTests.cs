// The command registry: the union form it writes is byte for byte what the earlier release's
// [Union] attributes wrote (so entries cross releases unchanged), unknown and duplicate tags
// fail loudly, and a command that only a test knows needs nothing but its handler and one
// registration line to apply, batch, be checked and show in the log.
using System.Text;
using System.Text.Json;
using KvDb.Core;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Leases;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Core.Transactions;
using MessagePack;

namespace KvDb.Tests.Commands;

public sealed class CommandRegistryTests
{
    // LogEntryCodec.Encode(GoldenBatch(), 1_700_000_000_123) as written by commit d1e20ae,
    // whose KvCommand carried MessagePack [Union] attributes.
    private const string EarlierReleaseEntry =
        "017B68E5CF8B0100009C920097C4016BC4020102019307C2C3A16905CD0BB8920193C4016493C0C3C2A16A92029291AA687474703A2F2F613A31A2633192039204AA687474703A2F2F623A3292049103920A92C2C0920B949195C4016B030000C40109919700C4016BC0C40101000000919702C40161C4017AC0000000A174920C930BCD1388A167920D920BC3920E91A26B73920F91A26B73921094A26B73C4016C9193C40107C41000000000000000000000000000000000CF0000018BCFE56800A161";

    private static KvCommand[] GoldenBatch() =>
    [
        new PutCommand { Key = "k"u8.ToArray(), Value = [1, 2], Kind = ValueKind.Typed, Condition = new Precondition { Revision = 7, MustExist = true }, IdempotencyKey = "i", Lease = 5, GrantTtlMs = 3000 },
        new DeleteCommand { Key = "d"u8.ToArray(), Condition = new Precondition { MustNotExist = true }, IdempotencyKey = "j" },
        new BootstrapMembersCommand { PeerUrls = ["http://a:1"], ClusterId = "c1" },
        new SetMemberCommand { Id = 4, PeerUrl = "http://b:2" },
        new RemoveMemberCommand { Id = 3 },
        new SetAuthCommand { Enabled = false },
        new TxnCommand { Comparisons = [new TxnComparison { Key = "k"u8.ToArray(), Target = TxnTarget.Value, Operator = TxnOperator.Equal, Bytes = [9] }], Then = [new TxnOperation { Kind = TxnOperationKind.Put, Key = "k"u8.ToArray(), Value = [1] }], Else = [new TxnOperation { Kind = TxnOperationKind.DeleteRange, Key = "a"u8.ToArray(), End = "z"u8.ToArray() }], IdempotencyKey = "t" },
        new GrantLeaseCommand { Id = 11, TtlMs = 5000, IdempotencyKey = "g" },
        new RevokeLeaseCommand { Id = 11, Expired = true },
        new CreateKeyspaceCommand { Name = "ks" },
        new DeleteKeyspaceCommand { Name = "ks" },
        new AppendCommand { Keyspace = "ks", Key = "l"u8.ToArray(), Items = [new AppendItem { Value = [7], Nonce = new byte[16], TimestampMs = 1700000000000 }], IdempotencyKey = "a" },
    ];

    [Fact]
    public void Entries_are_written_byte_for_byte_as_the_earlier_release_wrote_them()
        => Convert.ToHexString(LogEntryCodec.Encode(GoldenBatch(), 1_700_000_000_123)).Should().Be(EarlierReleaseEntry);

    [Fact]
    public void Entries_of_the_earlier_release_read_back_as_the_same_commands()
    {
        var (_, decoded) = LogEntryCodec.Decode((ReadOnlyMemory<byte>)Convert.FromHexString(EarlierReleaseEntry));

        decoded.Select(static c => c.GetType()).Should().Equal(GoldenBatch().Select(static c => c.GetType()));
        decoded.Should().BeEquivalentTo(GoldenBatch(), static o => o.RespectingRuntimeTypes());
    }

    [Fact]
    public void Every_command_type_of_the_core_has_one_handler_with_a_distinct_tag()
    {
        var commandTypes = typeof(KvCommand).Assembly.GetTypes().Where(static t => t.IsSubclassOf(typeof(KvCommand)) && !t.IsAbstract).ToList();
        var handlers = CommandRegistry.Default.Handlers.ToList();

        handlers.Select(static h => h.CommandType).Should().BeEquivalentTo(commandTypes);
        handlers.Select(static h => h.Tag).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void An_unknown_tag_stops_decoding_loudly()
    {
        // [version][proposed-at][[ [99, []] ]]: one command with a tag no handler declares.
        byte[] payload = [LogEntryCodec.CurrentVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0x91, 0x92, 99, 0x90];

        var act = () => LogEntryCodec.Decode((ReadOnlyMemory<byte>)payload);

        act.Should().Throw<InvalidDataException>().WithInnerException<MessagePackSerializationException>()
            .Where(static e => e.ToString().Contains("Unknown command tag 99", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tag_or_a_command_type_registered_twice_is_refused_when_the_registry_is_built()
    {
        var act = () => CommandRegistry.Create([.. CoreModules.All, new TestOnlyModule(tag: 0)]);
        act.Should().Throw<InvalidOperationException>().WithMessage("*EchoCommand (tag 0) collides with PutCommand (tag 0)*");

        var twice = () => CommandRegistry.Create([new TestOnlyModule(tag: 900), new TestOnlyModule(tag: 901)]);
        twice.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void A_test_only_command_needs_only_its_handler_and_one_registration()
    {
        var registry = CommandRegistry.Create([.. CoreModules.All, new TestOnlyModule(tag: 900)]);
        var echo = new EchoCommand { Text = "hello" };

        // The log format: [tag, fields] through the registry.
        var (_, decoded) = LogEntryCodec.Decode((ReadOnlyMemory<byte>)LogEntryCodec.Encode([echo], 0, registry), registry);
        decoded.Should().ContainSingle().Which.Should().BeOfType<EchoCommand>().Which.Text.Should().Be("hello");

        // Applying, through the executor, and exactly once with its idempotency key.
        var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store, registry: registry);
        var results = new CommandResult[2];
        var keyed = new EchoCommand { Text = "once", IdempotencyKey = "k1" };
        executor.Execute(1, 1, 1000, [echo, keyed], results);
        executor.Execute(2, 1, 2000, [keyed], results.AsSpan(1));
        results[0].Outcome.Should().Be(CommandOutcome.Applied);
        results[1].Replayed.Should().BeTrue();
        store.TryGet(StoreKeys.ForUser("echo/hello"u8.ToArray()), out _).Should().BeTrue();

        // Batching, limits and the log line.
        var claims = new BatchClaims(registry);
        claims.TryAdd(registry.HandlerOf(echo), echo).Should().BeTrue();
        claims.TryAdd(registry.HandlerOf(echo), new EchoCommand { Text = "hello" }).Should().BeFalse("the batch already writes echo/hello");
        registry.HandlerOf(echo).LimitProblem(new EchoCommand { Text = new string('x', 20) }, new CommandLimits(16, 1024, 8)).Should().NotBeNull();
        LogLine(registry, echo).Should().Be("""{"Echo":{"text":"hello"}}""");
    }

    private static string LogLine(CommandRegistry registry, KvCommand command)
    {
        var handler = registry.HandlerOf(command);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject(handler.LogName);
            handler.WriteLogFields(json, command, new LogLineContext(1, null));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // The whole of a test-only feature: a command, its handler and its registration.
    [MessagePackObject]
    public sealed class EchoCommand : KvCommand
    {
        [Key(0)]
        public required string Text { get; init; }

        [Key(1)]
        public string? IdempotencyKey { get; init; }

        [IgnoreMember]
        public override int ApproximateSize => 16 + Text.Length;

        public override string? Validate() => Text is null ? "an echo without text" : null;

        [IgnoreMember]
        public byte[] Key => Encoding.UTF8.GetBytes("echo/" + Text);
    }

    private sealed class EchoHandler(int tag) : CommandHandler<EchoCommand>(tag, "Echo")
    {
        public override CommandResult Apply(CommandExecutor executor, long index, EchoCommand command)
            => executor.Put(index, new PutCommand { Key = command.Key, Value = Encoding.UTF8.GetBytes(command.Text) });

        public override string? IdempotencyKeyOf(EchoCommand command) => command.IdempotencyKey;

        public override ulong FingerprintOf(EchoCommand command) => (ulong)command.Text.GetHashCode(StringComparison.Ordinal);

        public override bool TryClaim(EchoCommand command, BatchClaims claims) => claims.TryClaim(command.Key);

        public override string? CheckLimits(EchoCommand command, CommandLimits limits)
            => command.Key.Length <= limits.MaxKeyBytes ? null : "an echo over the key limit";

        public override void WriteLog(Utf8JsonWriter json, EchoCommand command, LogLineContext context) => json.WriteString("text", command.Text);
    }

    private sealed class TestOnlyModule(int tag) : ICommandModule
    {
        public void Register(CommandRegistry.Builder registry) => registry.Add(new EchoHandler(tag));
    }
}
