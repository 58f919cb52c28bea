// kvdb's client commands against no member at all, and against one that is slow: with nothing
// accepting connections every verb exits 3 after the CLI's unreachable budget (3 s, which the
// message names) instead of the 30 s --timeout, while a member that accepts and answers later
// than that budget still answers within --timeout.
// No stopwatch: the budget is checked by what the command says it gave up after, and a deadline
// well under --timeout catches a command that waits it out.
using KvDb.Cli;

namespace KvDb.Client.Tests.Cli;

public sealed class CliFailFastTests
{
    // Well under the 30 s --timeout a command that does not fail fast waits out.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    // Longer than the CLI's 3 s unreachable budget and its 2 s connect timeout together.
    private static readonly TimeSpan SlowAnswer = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task With_no_member_accepting_connections_every_verb_exits_3_after_the_unreachable_budget_not_the_timeout()
    {
        var closed = string.Join(',', FreePorts.Take(2).Select(port => $"http://127.0.0.1:{port}"));
        string[][] verbs = [["get", "k"], ["put", "k", "v"], ["del", "k"], ["range", "p/"], ["watch", "k"], ["members"], ["status"], ["lock", "n"], ["lease", "grant", "10s"]];

        var runs = await Task.WhenAll(verbs.Select(verb => RunAsync([.. verb, "--endpoints", closed, "--timeout", "30s"]).WaitAsync(Deadline)));

        for (var i = 0; i < verbs.Length; i++)
        {
            runs[i].Code.Should().Be(ExitCodes.Unavailable, $"kvdb {string.Join(' ', verbs[i])} reaches no member: {runs[i].Error}");
            if (verbs[i][0] != "status") // status asks each member once, itself, and says which did not answer
                runs[i].Error.Should().Contain("within 3 s, as none accepted a connection", $"kvdb {verbs[i][0]} gives up after the unreachable budget, not --timeout");
        }
    }

    [Fact]
    public async Task A_member_that_accepts_and_answers_after_the_unreachable_budget_still_answers_within_the_timeout()
    {
        await using var slow = await FakeMember.StartAsync(async context =>
        {
            await Task.Delay(SlowAnswer, context.RequestAborted);
            context.Response.Headers["X-Kvdb-Revision"] = "7";
            await context.Response.Body.WriteAsync("late but here"u8.ToArray(), context.RequestAborted);
        });

        var run = await RunAsync(["get", "k", "--endpoints", slow.Url.ToString(), "--timeout", "30s"]).WaitAsync(Deadline);

        run.Should().Be((ExitCodes.Ok, "late but here\n", ""));
        slow.Requests.Should().ContainSingle("the one try waited for the answer");
    }

    private static async Task<(int Code, string Out, string Error)> RunAsync(string[] args)
    {
        var stdout = new LineWriter();
        var stderr = new LineWriter();
        var console = new CliConsole(new StringReader(""), stdout, stderr, static _ => null);
        var code = await CliProgram.RunAsync(args, console, CancellationToken.None);
        return (code, stdout.Text, stderr.Text);
    }
}
