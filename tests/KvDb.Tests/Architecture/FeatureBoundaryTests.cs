// The edges between a member's features, enforced. A feature (a folder of KvDb.Node registered
// in NodeFeatures) may use the shared namespaces, and another feature only if it names it in
// DependsOn, and then only that feature's public types; no feature takes the Raft member
// (RaftNode) itself: it reads applied state through LocalState, proposes through IProposer,
// waits for leaders through IConsensus and reconfigures through IRaftMembership.
using System.Reflection;
using System.Text.RegularExpressions;
using KvDb.Node.HttpKit;
using NetArchTest.Rules;

namespace KvDb.Tests.Architecture;

public sealed class FeatureBoundaryTests
{
    private const string NodeRoot = "KvDb.Node.";

    // What every feature may use: the HTTP kit, the endpoint descriptions of the OpenAPI document,
    // the Raft member's narrow services, the write and read paths, peer security, and the
    // composition root's member-wide options (only the types SharedHostingTypes names).
    private static readonly string[] SharedNamespaces = ["HttpKit", "OpenApi", "Raft", "Writes", "Reads", "Security", "Hosting"];

    // The Hosting helpers a feature may use; the rest of Hosting is the composition root. The
    // command line's NodeOptions reaches a feature only in its registration class, which binds
    // the feature's own options from it; everything else takes IOptions of those (or of
    // MemberOptions).
    private static readonly string[] SharedHostingTypes = ["CommandLine", "PeerUrl", "PeerList", "ByteSize"];

    private static readonly Assembly Node = typeof(INodeFeature).Assembly;

    private static IReadOnlyList<INodeFeature> Features => KvDb.Node.Hosting.NodeFeatures.All;

    private static IEnumerable<INodeFeature> Guarded => Features.Where(static f => !SharedNamespaces.Contains(f.Name));

    [Fact]
    public void Every_namespace_of_the_member_is_a_registered_feature_or_shared()
    {
        var namespaces = Node.GetTypes().Select(static t => t.Namespace).OfType<string>().Where(static n => n.StartsWith(NodeRoot, StringComparison.Ordinal))
            .Select(static n => n[NodeRoot.Length..].Split('.')[0]).Distinct();
        var known = Features.Select(static f => f.Name).Concat(SharedNamespaces).ToHashSet();

        namespaces.Where(n => !known.Contains(n)).Should().BeEmpty("a folder of KvDb.Node is a feature registered in NodeFeatures or one of the shared namespaces");
        Features.Select(static f => f.GetType().Namespace).Should().Equal(Features.Select(static f => NodeRoot + f.Name), "a feature's name is its namespace");
        Features.SelectMany(static f => f.DependsOn).Except(Features.Select(static f => f.Name)).Should().BeEmpty("DependsOn names registered features");
    }

    [Fact]
    public void No_feature_takes_the_raft_member_itself()
    {
        var offenders = Guarded.SelectMany(f => FailingTypes(f.Name, ["KvDb.Node.Raft.RaftNode"]));
        offenders.Should().BeEmpty("features use LocalState, IConsensus, IProposer or IRaftMembership, never RaftNode");
    }

    [Fact]
    public void A_feature_uses_only_the_features_it_declares()
    {
        var offenders = new List<string>();
        foreach (var feature in Features)
        {
            var undeclared = Guarded.Select(static f => f.Name).Where(n => n != feature.Name && !feature.DependsOn.Contains(n)).Select(static n => NodeRoot + n).ToArray();
            offenders.AddRange(FailingTypes(feature.Name, undeclared).Select(t => $"{t} (declare the feature in {feature.GetType().Name}.DependsOn, or use a shared service)"));
        }

        offenders.Should().BeEmpty();
    }

    [Fact]
    public void A_feature_uses_only_the_public_types_of_another()
    {
        var offenders = new List<string>();
        foreach (var feature in Guarded)
        {
            var internals = Node.GetTypes()
                .Where(t => t.Namespace is { } ns && ns.StartsWith(NodeRoot, StringComparison.Ordinal) && ns[NodeRoot.Length..].Split('.')[0] != feature.Name)
                .Where(static t => !t.IsNested && !t.IsPublic && !IsCompilerGenerated(t))
                .Select(static t => t.FullName!).ToArray();
            offenders.AddRange(FailingTypes(feature.Name, internals));
        }

        offenders.Should().BeEmpty("a feature reaches another only through its public services");
    }

    [Fact]
    public void A_feature_uses_only_the_options_and_helpers_of_the_composition_root()
    {
        var rootOnly = Node.GetTypes().Where(static t => t.Namespace == NodeRoot + "Hosting" && !t.IsNested && !SharedHostingTypes.Contains(t.Name) && !IsCompilerGenerated(t))
            .Select(static t => t.FullName!).ToArray();
        Guarded.SelectMany(f => FailingTypes(f.Name, rootOnly).Where(t => !t.StartsWith(f.GetType().FullName!, StringComparison.Ordinal)))
            .Should().BeEmpty("features take their own options, or MemberOptions, and do not reach into the composition root");
    }

    [Fact]
    public void The_member_has_no_global_usings_of_feature_namespaces()
    {
        var project = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "KvDb.Node", "KvDb.Node.csproj"));
        Regex.IsMatch(project, @"<Using\s+Include=""KvDb\.Node\.").Should().BeFalse("each file names the namespaces it uses, so a dependency between features shows");
    }

    private static IEnumerable<string> FailingTypes(string feature, string[] forbidden)
    {
        if (forbidden.Length == 0)
            return [];
        var result = Types.InAssembly(Node).That().ResideInNamespaceMatching($@"^KvDb\.Node\.{feature}(\..*)?$")
            .ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        return result.IsSuccessful ? [] : result.FailingTypeNames ?? [];
    }

    private static bool IsCompilerGenerated(Type type) => type.Name.Contains('<', StringComparison.Ordinal);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "KvDb.sln")))
                return directory.FullName;
        }

        throw new InvalidOperationException("KvDb.sln not found above " + AppContext.BaseDirectory);
    }
}
