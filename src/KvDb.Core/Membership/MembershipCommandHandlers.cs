// The membership feature's commands: the map from member ids to peer URLs.
using System.Globalization;
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Membership;

/// <summary>Registers the membership feature's commands.</summary>
public sealed class MembershipModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry)
        => registry.Add(new BootstrapMembersHandler()).Add(new SetMemberHandler()).Add(new RemoveMemberHandler());
}

internal sealed class BootstrapMembersHandler() : CommandHandler<BootstrapMembersCommand>(2, "BootstrapMembers")
{
    public override CommandResult Apply(CommandExecutor executor, long index, BootstrapMembersCommand command) => executor.Bootstrap(command);

    public override void WriteLog(Utf8JsonWriter json, BootstrapMembersCommand command, LogLineContext context)
    {
        json.WriteStartObject("members");
        for (var i = 0; i < command.PeerUrls.Length; i++)
            json.WriteString((i + 1).ToString(CultureInfo.InvariantCulture), command.PeerUrls[i]);
        json.WriteEndObject();
        if (command.ClusterId is { } clusterId)
            json.WriteString("clusterId", clusterId);
        if (command.Release is { } release)
        {
            json.WriteNumber("releaseOf", command.ReleaseOf);
            json.WriteString("release", release);
            json.WriteStartArray("commands");
            foreach (var tag in command.Commands ?? [])
                json.WriteNumberValue(tag);
            json.WriteEndArray();
        }
    }
}

internal sealed class SetMemberHandler() : CommandHandler<SetMemberCommand>(3, "SetMember")
{
    public override CommandResult Apply(CommandExecutor executor, long index, SetMemberCommand command) => executor.SetMember(command);

    public override void WriteLog(Utf8JsonWriter json, SetMemberCommand command, LogLineContext context)
    {
        json.WriteNumber("id", command.Id);
        json.WriteString("peerUrl", command.PeerUrl);
    }
}

internal sealed class RemoveMemberHandler() : CommandHandler<RemoveMemberCommand>(4, "RemoveMember")
{
    public override CommandResult Apply(CommandExecutor executor, long index, RemoveMemberCommand command) => executor.RemoveMember(command);

    public override void WriteLog(Utf8JsonWriter json, RemoveMemberCommand command, LogLineContext context)
    {
        json.WriteNumber("id", command.Id);
        WriteStrings(json, "voters", command.Voters);
        WriteStrings(json, "expectedMembers", command.ExpectedMembers);
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, string[]? texts)
    {
        if (texts is null)
            return;
        json.WriteStartArray(name);
        foreach (var text in texts)
            json.WriteStringValue(text);
        json.WriteEndArray();
    }
}
