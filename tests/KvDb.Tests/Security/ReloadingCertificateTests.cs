// The certificate reloader: a rotated certificate is picked up, a bad new file keeps the last
// good certificate (said once), and files that are unusable at start are one-line errors.
using Microsoft.Extensions.Logging;

namespace KvDb.Tests.Security;

public sealed class ReloadingCertificateTests : IDisposable
{
    private readonly TestCertificates certificates = new();

    public void Dispose() => certificates.Dispose();

    [Fact]
    public void A_rotated_certificate_is_picked_up_from_the_same_files()
    {
        var first = certificates.Issue("member-1");
        var (certificateFile, keyFile) = certificates.Write("member-1", first);
        var reloading = PemFiles.OpenCertificate("peer certificate", certificateFile, keyFile, interval: TimeSpan.Zero);
        reloading.Current.Thumbprint.Should().Be(first.Thumbprint);
        reloading.Current.HasPrivateKey.Should().BeTrue();

        var second = certificates.Issue("member-1");
        certificates.Write("member-1", second);

        reloading.Current.Thumbprint.Should().Be(second.Thumbprint);
        reloading.Current.HasPrivateKey.Should().BeTrue();
        reloading.Reloads.Should().Be(1);
    }

    [Fact]
    public void Unchanged_files_are_not_loaded_again()
    {
        var (certificateFile, keyFile) = certificates.Write("member-1", certificates.Issue("member-1"));
        var reloading = PemFiles.OpenCertificate("peer certificate", certificateFile, keyFile, interval: TimeSpan.Zero);
        var loaded = reloading.Current;

        File.SetLastWriteTimeUtc(certificateFile, DateTime.UtcNow.AddMinutes(1));

        reloading.Current.Should().BeSameAs(loaded, "the contents did not change, only the timestamp");
        reloading.Reloads.Should().Be(0);
    }

    [Fact]
    public void A_bad_new_file_keeps_the_last_good_certificate_and_is_logged_once()
    {
        var good = certificates.Issue("member-1");
        var (certificateFile, keyFile) = certificates.Write("member-1", good);
        var log = new LogCapture();
        var reloading = PemFiles.OpenCertificate("peer certificate", certificateFile, keyFile, interval: TimeSpan.Zero);
        reloading.Logger = log;

        File.WriteAllText(certificateFile, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        for (var i = 0; i < 5; i++)
            reloading.Current.Thumbprint.Should().Be(good.Thumbprint);

        var warnings = log.Matching(LogLevel.Warning, "Keeping the previous peer certificate");
        warnings.Should().ContainSingle(log.Describe()).Which.Should().Contain(certificateFile);

        // A certificate written before its key does not match the old key: also kept, also said once.
        var next = certificates.Issue("member-1");
        File.WriteAllText(certificateFile, next.ExportCertificatePem());
        reloading.Current.Thumbprint.Should().Be(good.Thumbprint);
        reloading.Current.Thumbprint.Should().Be(good.Thumbprint);
        log.Matching(LogLevel.Warning, "Keeping the previous peer certificate").Should().HaveCount(2, log.Describe());

        // Once the key follows, the new pair is served.
        certificates.Write("member-1", next);
        reloading.Current.Thumbprint.Should().Be(next.Thumbprint);
        log.Matching(LogLevel.Information, "Loaded the changed files of peer certificate").Should().ContainSingle();
    }

    [Fact]
    public void A_deleted_file_keeps_the_last_good_certificate()
    {
        var good = certificates.Issue("member-1");
        var (certificateFile, keyFile) = certificates.Write("member-1", good);
        var reloading = PemFiles.OpenCertificate("peer certificate", certificateFile, keyFile, interval: TimeSpan.Zero);
        var log = new LogCapture();
        reloading.Logger = log;

        File.Delete(keyFile);

        reloading.Current.Thumbprint.Should().Be(good.Thumbprint);
        log.Matching(LogLevel.Warning, "cannot read").Should().ContainSingle().Which.Should().Contain(keyFile);
    }

    [Fact]
    public void Files_are_looked_at_at_most_once_per_interval()
    {
        var good = certificates.Issue("member-1");
        var (certificateFile, keyFile) = certificates.Write("member-1", good);
        var reloading = PemFiles.OpenCertificate("peer certificate", certificateFile, keyFile, interval: TimeSpan.FromHours(1));

        certificates.Write("member-1", certificates.Issue("member-1"));

        reloading.Current.Thumbprint.Should().Be(good.Thumbprint, "the interval has not passed");
        reloading.Check();
        reloading.Current.Thumbprint.Should().NotBe(good.Thumbprint);
    }

    [Fact]
    public void Unusable_files_at_start_are_one_line_errors_naming_the_file()
    {
        var (certificateFile, keyFile) = certificates.Write("member-1", certificates.Issue("member-1"));
        var (_, otherKey) = certificates.Write("member-2", certificates.Issue("member-2"));
        var missing = Path.Combine(certificates.Directory, "missing.pem");

        Error(() => PemFiles.OpenCertificate("c", missing, keyFile)).Should().Contain(missing);
        Error(() => PemFiles.OpenCertificate("c", certificateFile, otherKey)).Should().Contain(certificateFile).And.Contain(otherKey);
        Error(() => PemFiles.OpenCertificate("c", keyFile, keyFile)).Should().Contain(keyFile);

        var encrypted = Path.Combine(certificates.Directory, "encrypted-key.pem");
        File.WriteAllText(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        Error(() => PemFiles.OpenCertificate("c", certificateFile, encrypted)).Should().Contain("encrypted");

        Error(() => PemFiles.OpenTrust("ca", keyFile)).Should().Contain("holds no PEM certificate");

        static string Error(Action open)
        {
            var message = open.Should().Throw<InvalidDataException>().Which.Message;
            message.Should().NotContain("\n");
            return message;
        }
    }

    [Fact]
    public void A_ca_bundle_holds_every_certificate_of_the_file()
    {
        var other = TestCertificates.CreateCa("other CA");
        var bundle = Path.Combine(certificates.Directory, "bundle.pem");
        File.WriteAllText(bundle, certificates.Ca.ExportCertificatePem() + "\n" + other.ExportCertificatePem());

        PemFiles.OpenTrust("ca", bundle).Current.Select(c => c.Thumbprint).Should().BeEquivalentTo([certificates.Ca.Thumbprint, other.Thumbprint]);
    }
}
