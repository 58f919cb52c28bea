// The auth command family as every member applies it: users, roles, the switch, generations.
using System.Text;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.Auth;

public sealed class AuthStateTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;
    private long index;

    public AuthStateTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private CommandOutcome Apply(KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(++index, 1, index * 1000, [command], results);
        return results[0].Outcome;
    }

    private AuthState State()
    {
        using var view = store.OpenView();
        return AuthState.Read(view);
    }

    private static Permission Grant(string prefix, Access access) => new() { Prefix = Encoding.UTF8.GetBytes(prefix), Access = access };

    private static SetAuthCommand Enable() => new() { Enabled = true, SigningKey = new byte[32] };

    [Fact]
    public void Enabling_is_refused_without_root_and_grants_root_its_role()
    {
        Apply(Enable()).Should().Be(CommandOutcome.PreconditionFailed);
        State().Settings.Enabled.Should().BeFalse();

        Apply(new PutUserCommand { Name = "root", PasswordHash = PasswordHash.CreatePbkdf2("pw", 1), MustNotExist = true }).Should().Be(CommandOutcome.Applied);
        Apply(Enable()).Should().Be(CommandOutcome.Applied);

        var state = State();
        state.Settings.Enabled.Should().BeTrue();
        state.Settings.SigningKey.Should().HaveCount(32);
        AuthState.IsRoot(state.Users["root"]).Should().BeTrue();
        executor.AuthChanged.Should().BeTrue();
    }

    [Fact]
    public void Root_keeps_its_user_and_role_while_auth_is_on()
    {
        Apply(new PutUserCommand { Name = "root", PasswordHash = [], MustNotExist = true });
        Apply(Enable());

        Apply(new DeleteUserCommand { Name = "root" }).Should().Be(CommandOutcome.Conflict);
        Apply(new SetUserRoleCommand { User = "root", Role = "root", Granted = false }).Should().Be(CommandOutcome.Conflict);
        Apply(new PutRoleCommand { Name = "root", Permissions = [] }).Should().Be(CommandOutcome.Conflict);
        Apply(new DeleteRoleCommand { Name = "root" }).Should().Be(CommandOutcome.Conflict);

        Apply(new SetAuthCommand { Enabled = false }).Should().Be(CommandOutcome.Applied);
        Apply(new DeleteUserCommand { Name = "root" }).Should().Be(CommandOutcome.Applied);
    }

    [Fact]
    public void Users_need_existing_roles_and_names_are_unique()
    {
        Apply(new PutUserCommand { Name = "ann", PasswordHash = [], Roles = ["reader"], MustNotExist = true }).Should().Be(CommandOutcome.NotFound);
        Apply(new PutRoleCommand { Name = "reader", Permissions = [Grant("pub/", Access.Read)], MustNotExist = true }).Should().Be(CommandOutcome.Applied);
        Apply(new PutRoleCommand { Name = "reader", Permissions = [], MustNotExist = true }).Should().Be(CommandOutcome.Conflict);
        Apply(new PutUserCommand { Name = "ann", PasswordHash = [], Roles = ["reader", "reader"], MustNotExist = true }).Should().Be(CommandOutcome.Applied);
        Apply(new PutUserCommand { Name = "ann", PasswordHash = [], MustNotExist = true }).Should().Be(CommandOutcome.Conflict);

        State().Users["ann"].Roles.Should().Equal("reader");
    }

    [Fact]
    public void A_password_or_role_change_moves_the_users_generation()
    {
        Apply(new PutRoleCommand { Name = "reader", Permissions = [Grant("pub/", Access.Read)] });
        Apply(new PutUserCommand { Name = "ann", PasswordHash = PasswordHash.CreatePbkdf2("one", 1), MustNotExist = true });
        var created = State().Users["ann"].Generation;

        Apply(new SetUserRoleCommand { User = "ann", Role = "reader", Granted = true }).Should().Be(CommandOutcome.Applied);
        var granted = State().Users["ann"].Generation;
        granted.Should().BeGreaterThan(created);

        Apply(new PutUserCommand { Name = "ann", PasswordHash = PasswordHash.CreatePbkdf2("two", 1) }).Should().Be(CommandOutcome.Applied);
        var user = State().Users["ann"];
        user.Generation.Should().BeGreaterThan(granted);
        user.Roles.Should().Equal("reader");
        PasswordHash.Verify("two", user.PasswordHash).Should().BeTrue();
        PasswordHash.Verify("one", user.PasswordHash).Should().BeFalse();
    }

    [Fact]
    public void Deleting_a_role_takes_it_from_every_user()
    {
        Apply(new PutRoleCommand { Name = "reader", Permissions = [Grant("pub/", Access.Read)] });
        Apply(new PutUserCommand { Name = "ann", PasswordHash = [], Roles = ["reader"] });
        Apply(new PutUserCommand { Name = "bob", PasswordHash = [], Roles = ["reader"] });

        Apply(new DeleteRoleCommand { Name = "reader" }).Should().Be(CommandOutcome.Applied);

        var state = State();
        state.Roles.Should().BeEmpty();
        state.Users["ann"].Roles.Should().BeEmpty();
        state.Users["bob"].Roles.Should().BeEmpty();
    }

    [Theory]
    [InlineData("pub/", Access.Read, "pub/a", Access.Read, true)]
    [InlineData("pub/", Access.Read, "pub/a", Access.Write, false)]
    [InlineData("pub/", Access.ReadWrite, "pub/a", Access.Write, true)]
    [InlineData("pub/", Access.Read, "pu", Access.Read, false)]
    [InlineData("", Access.Read, "anything", Access.Read, true)]
    public void A_permission_covers_keys_under_its_prefix(string prefix, Access granted, string key, Access wanted, bool allowed)
        => Grant(prefix, granted).CoversKey(wanted, Encoding.UTF8.GetBytes(key)).Should().Be(allowed);

    [Theory]
    [InlineData("pub/", "pub/", "pub0", true)]
    [InlineData("pub/", "pub/a", "pub/b", true)]
    [InlineData("pub/", "pub/", null, false)]
    [InlineData("pub/", "pu", "pub0", false)]
    [InlineData("pub/", "pub/", "pub1", false)]
    [InlineData("", "", null, true)]
    public void A_permission_covers_a_range_only_when_every_key_of_it_is_under_its_prefix(string prefix, string start, string? end, bool allowed)
        => Grant(prefix, Access.Read).CoversRange(Access.Read, Encoding.UTF8.GetBytes(start), end is null ? null : Encoding.UTF8.GetBytes(end)).Should().Be(allowed);

    [Theory]
    [InlineData("ks/team/", Access.Read, "ks/", "ks0", true)] // a grant inside the range
    [InlineData("ks/", Access.Read, "ks/team/", "ks/team0", true)] // a grant around the range
    [InlineData("ks/team/", Access.Read, "ks/", null, true)]
    [InlineData("other/", Access.Read, "ks/", "ks0", false)]
    [InlineData("ks0", Access.Read, "ks/", "ks0", false)] // starts exactly where the range ends
    [InlineData("kr/", Access.Read, "ks/", "ks0", false)] // ends before the range starts
    [InlineData("ks/team/", Access.Write, "ks/", "ks0", false)]
    [InlineData("", Access.Read, "ks/", "ks0", true)]
    public void A_permission_overlaps_a_range_when_one_key_of_it_is_under_its_prefix(string prefix, Access granted, string start, string? end, bool overlaps)
        => Grant(prefix, granted).OverlapsRange(Access.Read, Encoding.UTF8.GetBytes(start), end is null ? null : Encoding.UTF8.GetBytes(end)).Should().Be(overlaps);

    [Fact]
    public void Auth_commands_survive_the_log_encoding()
    {
        var command = new PutRoleCommand { Name = "reader", Permissions = [Grant("pub/", Access.Read)], MustNotExist = true };
        var payload = LogEntryCodec.Encode([command], 0);
        var (_, decoded) = LogEntryCodec.Decode(payload);
        decoded.Should().ContainSingle().Which.Should().BeEquivalentTo(command);
    }
}
