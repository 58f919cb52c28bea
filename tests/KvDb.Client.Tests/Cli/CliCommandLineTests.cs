// kvdb's client commands without a server: which words they own, and the usage errors (exit
// code 2) and help (0) that never reach a member.
using KvDb.Cli;

namespace KvDb.Client.Tests.Cli;

public sealed class CliCommandLineTests
{
    [Theory]
    [InlineData("get", true)]
    [InlineData("lease", true)]
    [InlineData("status", true)]
    [InlineData("bench", false)]
    [InlineData("list", true)]
    [InlineData("user", true)]
    [InlineData("auth", true)]
    [InlineData("s2", true)]
    [InlineData("--id", false)]
    public void The_client_commands_own_their_first_words_only(string word, bool handled)
        => CliProgram.Handles([word, "x"]).Should().Be(handled);

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("""{"iff": []}""", "unknown field \"iff\"")]
    [InlineData("""{"if": [{"key": "k", "target": "revision", "op": "~", "value": 1}]}""", "if[0]: op '~'")]
    [InlineData("""{"if": [{"key": "k", "target": "exists", "op": "<", "value": true}]}""", "if[0]: an exists comparison")]
    [InlineData("""{"then": [{"put": {"key": "k", "typed": {"Int": 3}}}]}""", "then[0].put")]
    [InlineData("""{"else": [{"range": {"prefix": "p", "limit": 0}}]}""", "else[0].range")]
    [InlineData("""{"then": [{"frob": {}}]}""", "then[0].frob: unknown operation")]
    [InlineData("""{"if": [{"prefix": "p/", "target": "value", "op": "==", "value": "x"}]}""", "if[0]: over a range, target 'value'")]
    [InlineData("""{"if": [{"key": "k", "target": "count", "op": "==", "value": 1}]}""", "if[0]: a count comparison needs a range")]
    [InlineData("""{"if": [{"key": "k", "rangeEnd": "z", "target": "revision", "op": "<", "value": 1}]}""", "if[0]: unknown field \"rangeEnd\"")]
    [InlineData("""{"if": [{"key": "k", "end": "z", "target": "revision", "op": "<", "value": 1}]}""", "if[0]: a comparison names one key")]
    public async Task A_bad_transaction_is_a_usage_error_naming_the_place(string json, string message)
    {
        var (code, _, error) = await RunAsync(["txn"], json);
        code.Should().Be(ExitCodes.Usage);
        error.Should().Contain(message);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("get", "k", "extra")]
    [InlineData("put", "k", "v", "--if-absent", "--if-exists")]
    [InlineData("del")]
    [InlineData("del", "k", "--prefix", "p")]
    [InlineData("del", "--prefix", "")]
    [InlineData("watch")]
    [InlineData("lease", "grant", "0s")]
    [InlineData("lease", "revoke", "abc")]
    [InlineData("lock", "name", "--ttl", "forever")]
    [InlineData("elect", "name", "value", "--observe")]
    [InlineData("get", "k", "--timeout", "1ms")]
    [InlineData("get", "k", "--endpoints", "ftp://x")]
    [InlineData("get", "k", "--user", "nocolon")]
    [InlineData("get", "k", "--user", "a:b", "--token", "t")]
    [InlineData("get", "k", "--cacert", "/nonexistent.pem")]
    [InlineData("lease", "frob")]
    public async Task Bad_command_lines_exit_2_with_one_line_on_stderr(params string[] args)
    {
        // Should a command get past its usage checks, it finds no member quickly (exit 3, not 2).
        var (code, output, error) = await RunAsync(args);
        code.Should().Be(ExitCodes.Usage, error);
        output.Should().BeEmpty();
        error.Should().StartWith("kvdb: ");
        error.TrimEnd().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("put")]
    [InlineData("lease", "grant")]
    [InlineData("lock")]
    [InlineData("elect")]
    [InlineData("status")]
    [InlineData("user", "passwd")]
    [InlineData("auth", "rotate-key")]
    public async Task Help_explains_the_command_and_exits_0(params string[] words)
    {
        var (code, output, _) = await RunAsync([.. words, "--help"]);
        code.Should().Be(ExitCodes.Ok);
        output.Should().StartWith("kvdb " + string.Join(' ', words) + ": ").And.Contain("Usage:").And.Contain("KVDB_ENDPOINTS").And.Contain("Exit codes:");
    }

    private static async Task<(int Code, string Out, string Error)> RunAsync(string[] args, string stdin = "")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var environment = new Dictionary<string, string> { ["KVDB_ENDPOINTS"] = "http://127.0.0.1:1", ["KVDB_TIMEOUT"] = "200ms" };
        var code = await CliProgram.RunAsync(args, new CliConsole(new StringReader(stdin), stdout, stderr, environment.GetValueOrDefault), CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
