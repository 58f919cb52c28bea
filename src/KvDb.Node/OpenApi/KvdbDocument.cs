// What the generated document says about kvdb as a whole and about each operation beyond what
// the endpoints' metadata gives: the title and version, the two ways to authenticate (Basic and
// the Bearer tokens of POST /v1/auth/token), which operations need them once auth is enabled,
// and the descriptions of query parameters handlers read themselves.
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KvDb.Node.OpenApi;

/// <summary>Document and operation transformers.</summary>
public static class KvdbDocument
{
    private const string Basic = "basic";
    private const string Bearer = "bearer";

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
        return Task.CompletedTask;
    }

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
