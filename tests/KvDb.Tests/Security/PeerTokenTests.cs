// The shared peer secret: what is sent is a proof, not the secret; it is checked exactly;
// an empty file is refused; a changed file is followed.
using System.Net;

namespace KvDb.Tests.Security;

public sealed class PeerTokenTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("kvdb-token-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string contents)
    {
        var path = Path.Combine(directory, "peer-token");
        File.WriteAllText(path, contents);
        return path;
    }

    [Fact]
    public void The_proof_is_not_the_secret_and_ignores_surrounding_whitespace()
    {
        var token = PeerToken.Open(Write("  correct horse battery staple \n"));

        token.Current.Should().NotContain("correct").And.NotBeNullOrWhiteSpace();
        token.Current.Should().Be(PeerToken.Prove("correct horse battery staple"u8.ToArray(), "x").Text);
        token.Accepts(token.Current).Should().BeTrue();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("correct horse battery staple")]
    [InlineData("Zm9v")]
    [InlineData("é")]
    public void Anything_but_the_proof_is_refused(string? received)
        => PeerToken.Open(Write("correct horse battery staple")).Accepts(received).Should().BeFalse();

    [Fact]
    public void A_proof_of_another_secret_is_refused()
    {
        var other = PeerToken.Prove("another secret"u8.ToArray(), "x").Text;

        PeerToken.Open(Write("correct horse battery staple")).Accepts(other).Should().BeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \n\t ")]
    public void An_empty_file_is_refused_with_a_one_line_reason(string contents)
    {
        var path = Write(contents);

        var message = FluentActions.Invoking(() => PeerToken.Open(path)).Should().Throw<InvalidDataException>().Which.Message;

        message.Should().Contain(path).And.Contain("empty").And.NotContain("\n");
    }

    [Fact]
    public void A_changed_file_is_followed_and_an_emptied_one_keeps_the_secret()
    {
        var path = Write("first secret");
        var token = PeerToken.Open(path, interval: TimeSpan.Zero);
        var first = token.Current;

        File.WriteAllText(path, "second secret");
        token.Current.Should().NotBe(first);
        token.Accepts(first).Should().BeFalse();
        var second = token.Current;

        File.WriteAllText(path, "");
        token.Current.Should().Be(second);
    }

    [Fact]
    public async Task The_handler_stamps_every_request_with_the_proof()
    {
        var token = PeerToken.Open(Write("correct horse battery staple"));
        var seen = new List<string?>();
        using var invoker = new HttpMessageInvoker(new PeerTokenHandler(token) { InnerHandler = new Recorder(seen) });

        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/internal/v1/read-index");
        request.Headers.TryAddWithoutValidation(PeerToken.HeaderName, "forged");
        (await invoker.SendAsync(request, CancellationToken.None)).StatusCode.Should().Be(HttpStatusCode.OK);

        seen.Should().Equal(token.Current);
    }

    private sealed class Recorder(List<string?> seen) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.Headers.TryGetValues(PeerToken.HeaderName, out var values) ? string.Join(",", values) : null);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
