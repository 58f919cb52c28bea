// What the generated document says about kvdb as a whole and about each operation beyond what
// the endpoints' metadata gives: the title and version, the two ways to authenticate (Basic and
// the Bearer tokens of POST /v1/auth/token), which operations need them once auth is enabled,
// and the descriptions of query parameters handlers read themselves.
// Invariant: no two paths differ only in their parameter names. OpenAPI treats /{nodeId} and
// /{key} as one path (the reader rejects the document otherwise), so kv-db's POST/DELETE
// /{digits} (members) are described under the path of the /{key} catch-all.
using System.Text.RegularExpressions;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KvDb.Node.OpenApi;

/// <summary>Document and operation transformers.</summary>
public static partial class KvdbDocument
{
    private const string Basic = "basic";
    private const string Bearer = "bearer";

    // The resources operations are grouped by (each endpoint's WithTags), in the reference's order.
    private static readonly (string Name, string Description)[] Tags =
    [
        ("keys", "Keys and values: kvdb's /v1/kv, kv-db's /{key} and S2's /api."),
        ("watch", "A change feed from any revision."),
        ("transactions", "Compare, then write many keys at one revision."),
        ("leases", "Keys that expire unless kept alive."),
        ("locks", "Distributed locks with fencing tokens."),
        ("elections", "Leader election."),
        ("lists", "Keyspaces and appendable lists."),
        ("s2", "S2's streams API on lists: basins, streams and records, for S2's SDKs and CLI."),
        ("auth", "Users, roles, tokens and the auth switch."),
        ("members", "Cluster membership."),
        ("backups", "Consistent snapshots of the data."),
        ("operations", "Probes, metrics, status and the raw log."),
    ];

    /// <summary>Sets the document's info and security schemes.</summary>
    public static Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken token)
    {
        document.Info.Title = "kvdb";
        document.Info.Version = CommandLine.Version;
        document.Info.Description =
            "The client API of a kvdb member: any member takes reads and writes. Errors are RFC 7807 problem details. " +
            "Once auth is enabled (POST /v1/auth/enable), operations that list a security requirement need HTTP Basic credentials " +
            "or a Bearer token from POST /v1/auth/token; with auth off every operation is open.";

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Basic] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "basic", Description = "A kvdb user name and password." };
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "A token from POST /v1/auth/token." };
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(static t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        MergeSamePaths(document);
        return Task.CompletedTask;
    }

    /// <summary>Moves the operations of paths that differ only in parameter names into one of them (the one with most operations), renaming their path parameters.</summary>
    private static void MergeSamePaths(OpenApiDocument document)
    {
        var paths = document.Paths.Select(static p => p.Key).ToList();
        foreach (var group in paths.GroupBy(static p => PathParameter().Replace(p, "{}")).Where(static g => g.Count() > 1))
        {
            var keep = group.OrderByDescending(p => document.Paths[p].Operations?.Count ?? 0).First();
            var target = (OpenApiPathItem)document.Paths[keep];
            var names = ParameterNames(keep);
            foreach (var other in group.Where(p => p != keep))
            {
                var otherNames = ParameterNames(other);
                var moved = document.Paths[other].Operations ?? [];
                if (moved.Keys.Any(method => target.Operations?.ContainsKey(method) is true))
                    continue;
                foreach (var (method, operation) in moved)
                {
                    foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                    {
                        var position = Array.IndexOf(otherNames, parameter.Name);
                        if (parameter.In != ParameterLocation.Path || position < 0)
                            continue;
                        parameter.Description ??= $"The {parameter.Name} ({method.Method.ToUpperInvariant()} {other} in kvdb's routes; this path's other operations call it {names[position]}).";
                        parameter.Name = names[position];
                    }

                    target.AddOperation(method, operation);
                }

                document.Paths.Remove(other);
            }
        }
    }

    private static string[] ParameterNames(string path) => [.. PathParameter().Matches(path).Select(static m => m.Groups[1].Value)];

    [GeneratedRegex(@"\{([^}]+)\}")]
    private static partial Regex PathParameter();

    /// <summary>Adds the security requirement an operation's access rule implies, and query parameter descriptions.</summary>
    public static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken token)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        foreach (var query in metadata.OfType<QueryParameterMetadata>())
        {
            if (operation.Parameters?.FirstOrDefault(p => p.In == ParameterLocation.Query && p.Name == query.Name) is OpenApiParameter parameter)
                parameter.Description ??= query.Description;
        }

        // As AuthGate decides: no rule is root-only, probes are open while --open-probes is on.
        var rule = metadata.OfType<AccessRuleMetadata>().LastOrDefault()?.Rule ?? AccessRule.Root;
        var options = context.ApplicationServices.GetRequiredService<NodeOptions>();
        if (rule is AccessRule.AnyUser or AccessRule.Keys or AccessRule.Root || (rule is AccessRule.Probe && !options.OpenProbes))
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Basic, context.Document)] = [] });
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [] });
        }

        return Task.CompletedTask;
    }
}
