// The membership feature's commands: the replicated map from member ids to peer URLs (the
// Raft configuration itself is DotNext's). Fields are addressed by integer keys; new optional
// fields are only ever appended (see KvCommand).
using KvDb.Core.State;
using MessagePack;
using MessagePack.Formatters;

namespace KvDb.Core.Commands;

/// <summary>
/// Records the initial members (ids 1..N in <c>--cluster</c> order) when the membership map is
/// still empty; a no-op once any member is recorded. The first leader proposes it. With a
/// <see cref="ClusterId"/> it also names the cluster, once: a cluster bootstrapped by an older
/// release (members recorded, no id) gets its id from the same command, members untouched.
/// With <see cref="Release"/> it records what member <see cref="ReleaseOf"/> can apply (its
/// advertisement; see ClusterVersion), members untouched.
/// </summary>
[MessagePackObject]
[MessagePackFormatter(typeof(BootstrapMembersFormatter))]
public sealed class BootstrapMembersCommand : KvCommand
{
    /// <summary>The peer URLs of members 1..N.</summary>
    [Key(0)]
    public required string[] PeerUrls { get; init; }

    /// <summary>The cluster id to record when the cluster has none yet (null from older releases).</summary>
    [Key(1)]
    public string? ClusterId { get; init; }

    /// <summary>
    /// With <see cref="Release"/>: the member whose release and command kinds this records (see
    /// MemberRelease). Carried by this command because releases before cluster versions apply it as
    /// a no-op once members are recorded, so a member can advertise itself while they still run.
    /// </summary>
    [Key(2)]
    public int ReleaseOf { get; init; }

    /// <summary>The release member <see cref="ReleaseOf"/> runs (<c>0.2.0</c>); null when this command records none.</summary>
    [Key(3)]
    public string? Release { get; init; }

    /// <summary>The command tags member <see cref="ReleaseOf"/> can apply.</summary>
    [Key(4)]
    public int[]? Commands { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + PeerUrls.Sum(static u => u.Length + 4) + (Release?.Length ?? 0) + (5 * (Commands?.Length ?? 0));

    /// <inheritdoc/>
    public override string? Validate()
        => PeerUrls is null or { Length: 0 } || Array.IndexOf(PeerUrls, null) >= 0 ? "a bootstrap without member URLs"
            : Release is { Length: > 64 } || Commands is { Length: > 1024 } ? "a member's release or command list is too long"
            : null;
}

/// <summary>Maps member <see cref="Id"/> to <see cref="PeerUrl"/>; refused when either is taken by another member.</summary>
[MessagePackObject]
public sealed class SetMemberCommand : KvCommand
{
    /// <summary>The member's positive numeric id.</summary>
    [Key(0)]
    public required int Id { get; init; }

    /// <summary>The member's Raft peer URL, <c>http://host:port</c>.</summary>
    [Key(1)]
    public required string PeerUrl { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + PeerUrl.Length;

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 || PeerUrl is null ? "a member without a positive id and a URL" : null;
}

/// <summary>
/// Removes member <see cref="Id"/> from the membership map. With <see cref="Voters"/> and
/// <see cref="ExpectedMembers"/> (set by releases that check it), the removal is refused when it
/// applies after another membership change, or while a removed member still votes: one change
/// at a time, decided in the log rather than by each proposer.
/// </summary>
[MessagePackObject]
[MessagePackFormatter(typeof(RemoveMemberCommandFormatter))]
public sealed class RemoveMemberCommand : KvCommand
{
    /// <summary>
    /// The first release that checks removals when they apply. Earlier members skip the checked
    /// fields and apply every removal, so a removal is only sent checked once every member runs
    /// this release or a later one (the cluster version): otherwise members would disagree on it.
    /// </summary>
    public const string CheckedSince = "0.2.0";

    /// <summary>The member's id.</summary>
    [Key(0)]
    public required int Id { get; init; }

    /// <summary>
    /// The peer URLs of the Raft configuration's voters as the proposer saw them; the removal is
    /// refused if one is no longer in the map (a previous removal not finished). Null from older releases.
    /// </summary>
    [Key(1)]
    public string[]? Voters { get; init; }

    /// <summary>
    /// The membership map the proposer saw (<see cref="MembershipMap.Describe"/>); the removal is
    /// refused if the applied map differs (another change applied first). Null from older releases.
    /// </summary>
    [Key(2)]
    public string[]? ExpectedMembers { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + Size(Voters) + Size(ExpectedMembers);

    private static int Size(string[]? texts) => texts?.Sum(static t => (t?.Length ?? 0) + 4) ?? 0;

    /// <inheritdoc/>
    public override string? Validate()
        => Id <= 0 ? "a member removal without a positive id"
            : (Voters is not null && Array.IndexOf(Voters, null) >= 0) || (ExpectedMembers is not null && Array.IndexOf(ExpectedMembers, null) >= 0) ? "a member removal with a null voter or member"
            : null;
}

/// <summary>
/// Writes a <see cref="RemoveMemberCommand"/> as MessagePack's generated formatter does, except that
/// <see cref="RemoveMemberCommand.Voters"/> and <see cref="RemoveMemberCommand.ExpectedMembers"/>,
/// added after removals were first written to logs, are left out while both are null: an unchecked
/// removal is byte for byte what earlier releases wrote, and they read a checked one by skipping
/// the elements they do not know.
/// </summary>
public sealed class RemoveMemberCommandFormatter : IMessagePackFormatter<RemoveMemberCommand?>
{
    private const int EarlierFields = 1;
    private const int Fields = 3;

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, RemoveMemberCommand? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var checkedRemoval = value.Voters is not null || value.ExpectedMembers is not null;
        writer.WriteArrayHeader(checkedRemoval ? Fields : EarlierFields);
        writer.Write(value.Id);
        if (!checkedRemoval)
            return;
        WriteStrings(ref writer, value.Voters);
        WriteStrings(ref writer, value.ExpectedMembers);
    }

    /// <inheritdoc/>
    public RemoveMemberCommand? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        options.Security.DepthStep(ref reader);
        var id = 0;
        string[]? voters = null, expected = null;
        var count = reader.ReadArrayHeader();
        for (var i = 0; i < count; i++)
        {
            switch (i)
            {
                case 0:
                    id = reader.ReadInt32();
                    break;
                case 1:
                    voters = ReadStrings(ref reader);
                    break;
                case 2:
                    expected = ReadStrings(ref reader);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        reader.Depth--;
        return new RemoveMemberCommand { Id = id, Voters = voters, ExpectedMembers = expected };
    }

    private static void WriteStrings(ref MessagePackWriter writer, string[]? texts)
    {
        if (texts is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(texts.Length);
        foreach (var text in texts)
            writer.Write(text);
    }

    private static string[]? ReadStrings(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
            return null;
        var texts = new string[reader.ReadArrayHeader()];
        for (var i = 0; i < texts.Length; i++)
            texts[i] = reader.ReadString()!;
        return texts;
    }
}

/// <summary>
/// Writes a bootstrap without a release as the two fields earlier releases wrote (byte for byte,
/// so entries cross releases unchanged) and one with a release as five; reads any number of
/// fields, skipping those it does not know, as the generated formatters do.
/// </summary>
internal sealed class BootstrapMembersFormatter : IMessagePackFormatter<BootstrapMembersCommand>
{
    public void Serialize(ref MessagePackWriter writer, BootstrapMembersCommand value, MessagePackSerializerOptions options)
    {
        var strings = options.Resolver.GetFormatterWithVerify<string[]>();
        writer.WriteArrayHeader(value.Release is null ? 2 : 5);
        strings.Serialize(ref writer, value.PeerUrls, options);
        WriteString(ref writer, value.ClusterId);
        if (value.Release is null)
            return;
        writer.Write(value.ReleaseOf);
        writer.Write(value.Release);
        options.Resolver.GetFormatterWithVerify<int[]?>().Serialize(ref writer, value.Commands, options);
    }

    public BootstrapMembersCommand Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        try
        {
            var count = reader.ReadArrayHeader();
            string[]? peerUrls = null;
            string? clusterId = null, release = null;
            var releaseOf = 0;
            int[]? commands = null;
            for (var i = 0; i < count; i++)
            {
                switch (i)
                {
                    case 0:
                        peerUrls = options.Resolver.GetFormatterWithVerify<string[]>().Deserialize(ref reader, options);
                        break;
                    case 1:
                        clusterId = reader.ReadString();
                        break;
                    case 2:
                        releaseOf = reader.ReadInt32();
                        break;
                    case 3:
                        release = reader.ReadString();
                        break;
                    case 4:
                        commands = options.Resolver.GetFormatterWithVerify<int[]?>().Deserialize(ref reader, options);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            return new() { PeerUrls = peerUrls!, ClusterId = clusterId, ReleaseOf = releaseOf, Release = release, Commands = commands };
        }
        finally
        {
            reader.Depth--;
        }
    }

    private static void WriteString(ref MessagePackWriter writer, string? value)
    {
        if (value is null)
            writer.WriteNil();
        else
            writer.Write(value);
    }
}
