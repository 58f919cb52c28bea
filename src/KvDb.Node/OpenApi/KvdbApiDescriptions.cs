// Completes what ASP.NET Core's API explorer knows about kvdb's endpoints before the OpenAPI
// document is generated from it.
// Invariants:
//  - An endpoint mapped for any method (the /{key} catch-all, /v1/kv/{key}, /metrics) is not
//    described by ASP.NET Core at all; with DescribedMethodsMetadata it is described once per
//    method, with its route parameters, request formats and responses from its metadata, and
//    an operation id of the method and the endpoint's name (getKey, putKey).
//  - QueryParameterMetadata becomes a query parameter of the operations of its methods, and
//    RequestBodyMetadata the request body of its PUT, POST or PATCH operations.
//  - Each endpoint whose access rule can refuse a caller documents that refusal: 401 (and 429
//    for repeated failed logins) wherever credentials are needed once auth is enabled, 403
//    where the rule or the handler checks a role. The refusals are problem details.
//  - Nothing here changes routing: it runs only when a document is generated.
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace KvDb.Node.OpenApi;

/// <summary>Adds kvdb's description-only metadata to the API explorer's descriptions.</summary>
public sealed class KvdbApiDescriptions(EndpointDataSource endpoints, NodeOptions options) : IApiDescriptionProvider
{
    private const string ProblemJson = "application/problem+json";
    private static readonly EmptyModelMetadataProvider Models = new();

    /// <summary>After ASP.NET Core's own endpoint provider (-1100), so its descriptions exist.</summary>
    public int Order => -1050;

    /// <inheritdoc/>
    public void OnProvidersExecuting(ApiDescriptionProviderContext context)
    {
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            var metadata = endpoint.Metadata;
            if (metadata.GetMetadata<IHttpMethodMetadata>() is not null
                || metadata.GetMetadata<DescribedMethodsMetadata>() is not { } described
                || metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true })
                continue;

            foreach (var method in described.Methods)
                context.Results.Add(Describe(endpoint, method));
        }

        foreach (var description in context.Results)
        {
            var metadata = description.ActionDescriptor.EndpointMetadata;
            AddQueryParameters(description, metadata);
            AddRequestBody(description, metadata);
            AddRefusals(description, metadata);
        }
    }

    /// <inheritdoc/>
    public void OnProvidersExecuted(ApiDescriptionProviderContext context)
    {
    }

    private static ApiDescription Describe(RouteEndpoint endpoint, string method)
    {
        var metadata = endpoint.Metadata;
        var description = new ApiDescription
        {
            HttpMethod = method,
            RelativePath = endpoint.RoutePattern.RawText!.TrimStart('/'),
            ActionDescriptor = new ActionDescriptor
            {
                DisplayName = endpoint.DisplayName,
                EndpointMetadata = [.. metadata.Where(static m => m is not IEndpointNameMetadata), .. OperationName(metadata, method)],
                RouteValues = { ["controller"] = endpoint.DisplayName ?? endpoint.RoutePattern.RawText },
            },
        };

        foreach (var parameter in endpoint.RoutePattern.Parameters)
        {
            description.ParameterDescriptions.Add(new ApiParameterDescription
            {
                Name = parameter.Name,
                Source = BindingSource.Path,
                Type = typeof(string),
                ModelMetadata = Models.GetMetadataForType(typeof(string)),
                IsRequired = !parameter.IsOptional,
            });
        }

        foreach (var own in metadata.GetOrderedMetadata<MethodResponseMetadata>().Where(r => r.Method == method))
            description.SupportedResponseTypes.Add(Response(own.StatusCode, own.Type, own.ContentTypes, null));
        foreach (var produces in metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>())
            description.SupportedResponseTypes.Add(Response(produces.StatusCode, produces.Type, produces.ContentTypes, produces.Description));

        return description;
    }

    private static ApiResponseType Response(int status, Type? type, IEnumerable<string> contentTypes, string? text)
    {
        var response = new ApiResponseType
        {
            StatusCode = status,
            Type = type ?? typeof(void),
            Description = text,
        };
        if (type is not null)
            response.ModelMetadata = Models.GetMetadataForType(type);
        foreach (var contentType in contentTypes)
            response.ApiResponseFormats.Add(new ApiResponseFormat { MediaType = contentType });
        return response;
    }

    // One endpoint, several operations: each needs its own operationId (getKey, putKey, ...).
    private static IEnumerable<object> OperationName(EndpointMetadataCollection metadata, string method)
    {
        if (metadata.GetMetadata<IEndpointNameMetadata>() is not { EndpointName: { Length: > 0 } name })
            yield break;
        yield return new EndpointNameMetadata(method.ToLowerInvariant() + char.ToUpperInvariant(name[0]) + name[1..]);
    }

    private static void AddQueryParameters(ApiDescription description, IList<object> metadata)
    {
        foreach (var query in metadata.OfType<QueryParameterMetadata>())
        {
            if (query.Methods.Count > 0 && !query.Methods.Contains(description.HttpMethod, StringComparer.OrdinalIgnoreCase))
                continue;
            if (description.ParameterDescriptions.Any(p => p.Source == BindingSource.Query && p.Name == query.Name))
                continue;
            description.ParameterDescriptions.Add(new ApiParameterDescription
            {
                Name = query.Name,
                Source = BindingSource.Query,
                Type = typeof(string),
                ModelMetadata = Models.GetMetadataForType(typeof(string)),
                IsRequired = false,
            });
        }
    }

    // Only for the methods that send a body: one endpoint of DescribedMethods serves GET and PUT.
    private static void AddRequestBody(ApiDescription description, IList<object> metadata)
    {
        if (metadata.OfType<RequestBodyMetadata>().LastOrDefault() is not { } body
            || description.HttpMethod is not ("PUT" or "POST" or "PATCH")
            || description.ParameterDescriptions.Any(static p => p.Source == BindingSource.Body))
            return;

        foreach (var contentType in body.ContentTypes)
            description.SupportedRequestFormats.Add(new ApiRequestFormat { MediaType = contentType });
        description.ParameterDescriptions.Add(new ApiParameterDescription
        {
            Name = "body",
            Source = BindingSource.Body,
            Type = body.Type,
            ModelMetadata = Models.GetMetadataForType(body.Type),
            IsRequired = true,
        });
    }

    private void AddRefusals(ApiDescription description, IList<object> metadata)
    {
        var rule = metadata.OfType<AccessRuleMetadata>().LastOrDefault()?.Rule ?? AccessRule.Root;
        var needsUser = rule is AccessRule.AnyUser or AccessRule.Keys or AccessRule.Root || (rule is AccessRule.Probe && !options.OpenProbes);
        if (!needsUser)
            return;

        AddProblem(description, StatusCodes.Status401Unauthorized, "No or wrong credentials while auth is enabled (Basic or Bearer).");
        AddProblem(description, StatusCodes.Status429TooManyRequests, "Too many failed logins from this client; retry later.");
        if (rule is AccessRule.Root or AccessRule.Keys)
            AddProblem(description, StatusCodes.Status403Forbidden, rule is AccessRule.Root ? "The user does not have the root role." : "No role of the user grants access to the keys involved.");
    }

    private static void AddProblem(ApiDescription description, int status, string text)
    {
        if (description.SupportedResponseTypes.Any(r => r.StatusCode == status))
            return;
        description.SupportedResponseTypes.Add(Response(status, typeof(ProblemDetails), [ProblemJson], text));
    }
}
