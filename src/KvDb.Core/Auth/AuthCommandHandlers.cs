// The auth feature's commands: users, roles, the switch, the signing key and hash upgrades.
// Their log lines name the command and nothing else, so no password hash or grant detail
// reaches /v1/log.
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Auth;

/// <summary>Registers the auth feature's commands.</summary>
public sealed class AuthModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry) => registry
        .Add(new AuthCommandHandler<PutUserCommand>(5))
        .Add(new AuthCommandHandler<DeleteUserCommand>(6))
        .Add(new AuthCommandHandler<PutRoleCommand>(7))
        .Add(new AuthCommandHandler<DeleteRoleCommand>(8))
        .Add(new AuthCommandHandler<SetUserRoleCommand>(9))
        .Add(new AuthCommandHandler<SetAuthCommand>(10))
        .Add(new AuthCommandHandler<RotateSigningKeyCommand>(17))
        .Add(new AuthCommandHandler<UpgradePasswordHashCommand>(18));
}

internal sealed class AuthCommandHandler<TCommand>(int tag) : CommandHandler<TCommand>(tag, typeof(TCommand).Name)
    where TCommand : KvCommand
{
    public override CommandResult Apply(CommandExecutor executor, long index, TCommand command) => executor.ApplyAuth(index, command);
}
