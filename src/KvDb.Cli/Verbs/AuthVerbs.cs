// kvdb user passwd NAME and kvdb auth rotate-key: the account calls of /v1/auth.
// Invariants: a password is never taken from the command line (it would show in the process
// list and the shell's history): the new one, and the current one where needed, are lines of
// standard input; changing the --user's own password proves it with the --user password.
using System.CommandLine;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb user passwd NAME</c>.</summary>
internal sealed class UserPasswdVerb : CliVerb
{
    private readonly Argument<string> name = Required("NAME", "The user whose password changes.");

    public override string Path => "user passwd";

    public override string Summary => "Change a user's password (read from standard input); the user's tokens stop working.";

    public override IReadOnlyList<string> Usage =>
    [
        "user passwd NAME [flags] < FILE",
        "printf '%s\\n' \"$NEW\" | kvdb user passwd ann --user ann:\"$OLD\"       # your own: --user's password is the current one",
        "printf '%s\\n%s\\n' \"$NEW\" \"$OLD\" | kvdb user passwd ann --token \"$T\"   # your own with a token: the current one on line 2",
        "printf '%s\\n' \"$NEW\" | kvdb user passwd ann --user root:\"$ROOTPW\"     # root sets another user's",
    ];

    public override IReadOnlyList<string> Notes =>
    [
        "The first line of standard input is the new password; a second line, if any, is the current one. Changing your own password (root's too) needs the current one: with --user NAME:PASSWORD for the same NAME it is that PASSWORD. Root changing another user's password needs none.",
        "Exit 1 when kvdb refuses (403: a wrong current password or another user's password without root; 404: no such user), 2 when the current password is missing or the new one is empty.",
    ];

    public override void Define(Command command) => command.Add(name);

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var user = result.GetRequiredValue(name);
        var newPassword = await context.Console.In.ReadLineAsync(token);
        if (string.IsNullOrEmpty(newPassword))
            return context.Fail(ExitCodes.Usage, "kvdb user passwd reads the new password from the first line of standard input; it was empty");
        var current = await context.Console.In.ReadLineAsync(token);
        if (string.IsNullOrEmpty(current) && context.Settings.UserName == user)
            current = context.Settings.Password;

        if (string.IsNullOrEmpty(current))
            await context.Client.ChangePasswordAsync(user, newPassword, token);
        else
            await context.Client.ChangePasswordAsync(user, newPassword, current, token);
        return ExitCodes.Ok;
    }
}

/// <summary><c>kvdb auth rotate-key</c>.</summary>
internal sealed class AuthRotateKeyVerb : CliVerb
{
    public override string Path => "auth rotate-key";

    public override string Summary => "Replace the cluster's token signing key (root): every token issued before stops working.";

    public override IReadOnlyList<string> Usage => ["auth rotate-key [flags]", "auth rotate-key --user root:\"$ROOTPW\""];

    public override IReadOnlyList<string> Notes => ["Passwords and client certificates keep working; get new tokens with POST /v1/auth/token. Exit 1 when kvdb refuses (403 without the root role)."];

    public override void Define(Command command)
    {
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        await context.Client.RotateSigningKeyAsync(token);
        return ExitCodes.Ok;
    }
}
