using System.Text.Json.Nodes;
using Matching.Api.Matches;
using Matching.Engine.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Matching.Api.Infrastructure;

/// <summary>
/// OpenAPI document and Swagger UI at /swagger, with the API key scheme so the UI can call the API.
/// The document states what the service does: flags enums as the arrays of names the API reads
/// and writes, every error an operation can answer as ProblemDetails, closed request bodies
/// (unknown members are rejected, see <see cref="Problems"/>), a server and described tags.
/// <c>.ci/run</c> builds it from the app and lints it; <c>SwaggerSetupTests</c> check its invariants.
/// </summary>
public static class SwaggerSetup
{
    /// <summary>The document's name, in /swagger/{name}/swagger.json.</summary>
    public const string DocumentName = "v1";

    /// <summary>What each tag groups, shown in the document.</summary>
    public static IReadOnlyDictionary<string, string> Tags { get; } = new Dictionary<string, string>
    {
        ["Matches"] = "Ranked, explained shortlists for a client, the stored shortlists, and the client's choice.",
        ["Feedback"] = "Alliance ratings (WAI-SR, WAI-S, SRS) and outcome events the ranking model learns from.",
        ["Therapists"] = "The therapist directory: listings, paging and filters, bulk import, unlisting.",
        ["Clients"] = "Erasure of everything stored about a client.",
        ["Models"] = "The model registry: models with metrics, the active model, activation and training runs.",
        ["Vocabularies"] = "The closed vocabularies the match request accepts, and its list limits, from the same source as validation.",
        ["Capacity"] = "Places left this week and the capacity prices the ranking subtracts, per therapist.",
    };

    /// <summary>
    /// Problems an operation answers beyond those every operation can (401, 403, 429) and those
    /// its body or parameters bring (400, 413, 415): the handlers' own not-found, conflict and
    /// rejection results, keyed by operation name.
    /// </summary>
    public static IReadOnlyDictionary<string, int[]> HandlerProblems { get; } = new Dictionary<string, int[]>
    {
        ["GetShortlist"] = [404],
        ["Choose"] = [404, 409],
        ["AddAllianceRating"] = [404],
        ["AddOutcomeEvent"] = [404],
        ["GetTherapist"] = [404],
        ["DeactivateTherapist"] = [404],
        ["ReactivateTherapist"] = [404],
        ["EraseClient"] = [400],
        ["ActivateModel"] = [404, 409, 422],
    };

    /// <summary>Registers the generator.</summary>
    public static void AddSwagger(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Therapist matching API",
                Version = "v1",
                Description = "Ranks therapists by the working alliance a client is likely to build with each, explained in Bordin's three pillars. "
                    + "Every error is RFC 9457 application/problem+json; request bodies are closed (an unknown member is a 400 naming it).",
            });
            o.AddSecurityDefinition(ApiKeyHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyHandler.Header,
                Description = "API key; the role decides which endpoints it reaches.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyHandler.SchemeName, document)] = [],
            });
            // Nullable annotations decide "nullable": a stored shortlist's request has faith: null
            // where the client stated none, and a generated client must accept it.
            o.SupportNonNullableReferenceTypes();
            o.UseAllOfToExtendReferenceSchemas();
            // The handlers' and records' XML docs become descriptions (the summary stays the endpoint's WithSummary).
            foreach (var docs in new[] { "Matching.Api.xml", "Matching.Engine.xml", "Matching.Data.xml" }.Select(f => Path.Combine(AppContext.BaseDirectory, f)).Where(File.Exists))
            {
                o.IncludeXmlComments(docs);
            }

            o.SchemaFilter<FlagsEnumsAsArrays>();
            o.OperationFilter<ProblemResponses>();
            o.DocumentFilter<ServersAndTags>();
        });
    }

    /// <summary>Serves the document and the UI.</summary>
    public static void UseSwaggerPages(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o => o.DocumentTitle = "Therapist matching API");
    }

    /// <summary>
    /// Flags enums (age groups, availability) are read and written as arrays of names, not
    /// integers: the document says so. A client's age group in the match constraints is one
    /// name (an array of one is read too).
    /// </summary>
    private sealed class FlagsEnumsAsArrays : ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (schema is not OpenApiSchema s)
            {
                return;
            }

            if (context.Type.IsEnum && context.Type.IsDefined(typeof(FlagsAttribute), false))
            {
                s.Type = JsonSchemaType.Array;
                s.Format = null;
                s.Enum = null;
                s.Items = Names(context.Type);
            }
            else if (context.Type == typeof(ConstraintsRequest) && s.Properties is { } properties)
            {
                var one = Names(typeof(AgeGroups));
                one.Description = "Exactly one age group, the client's.";
                properties["ageGroup"] = one;
            }
        }

        private static OpenApiSchema Names(Type flags) => new()
        {
            Type = JsonSchemaType.String,
            Enum = DomainJson.AllowedNames(flags).Select(n => (JsonNode)JsonValue.Create(n)).ToList(),
        };
    }

    /// <summary>Declares every problem an operation can answer, as application/problem+json with the ProblemDetails schemas.</summary>
    private sealed class ProblemResponses : IOperationFilter
    {
        private static readonly Dictionary<int, string> Descriptions = new()
        {
            [400] = "The request is invalid: errors are keyed by the JSON path of each field at fault.",
            [401] = "No API key, or an unknown one, in X-Api-Key.",
            [403] = "The API key's role does not allow this operation.",
            [404] = "No resource with this id.",
            [409] = "The request conflicts with what is stored.",
            [413] = "The body is larger than this operation accepts.",
            [415] = "The body is not sent as application/json.",
            [422] = "The model failed validation and was not activated.",
            [429] = "This API key's rate limit was reached; retry after the Retry-After seconds.",
        };

        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Http.Metadata.IEndpointSummaryMetadata>().LastOrDefault() is { } summary
                && operation.Summary != summary.Summary)
            {
                operation.Description ??= operation.Summary;
                operation.Summary = summary.Summary;
            }

            var statuses = new SortedSet<int>();
            if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
            {
                statuses.UnionWith([401, 403, 429]);
            }

            if (context.ApiDescription.ParameterDescriptions.Any(p => p.Source == BindingSource.Body))
            {
                statuses.UnionWith([400, 413, 415]);
            }

            if (context.ApiDescription.ParameterDescriptions.Any(p => p.Source == BindingSource.Query))
            {
                statuses.Add(400);
            }

            if (operation.OperationId is { } id && HandlerProblems.TryGetValue(id, out var more))
            {
                statuses.UnionWith(more);
            }

            operation.Responses ??= [];
            foreach (var status in statuses)
            {
                var type = status is 400 or 413 or 415 ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
                var response = new OpenApiResponse
                {
                    Description = Descriptions[status],
                    Content = new Dictionary<string, IOpenApiMediaType>
                    {
                        [Problems.MediaType] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(type, context.SchemaRepository) },
                    },
                };
                if (status == 429)
                {
                    response.Headers = new Dictionary<string, IOpenApiHeader>
                    {
                        ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                    };
                }

                operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
            }
        }
    }

    /// <summary>The server (wherever the document is served from), what each tag groups, and the type beside each nullable reference.</summary>
    private sealed class ServersAndTags : IDocumentFilter
    {
        public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
        {
            swaggerDoc.Servers = [new OpenApiServer { Url = "/", Description = "The host serving this document." }];
            swaggerDoc.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));

            // A nullable reference is written as allOf: [$ref] with nullable: true, and OpenAPI 3.0
            // wants the type beside nullable: it is the referenced schema's.
            // A reference that is not nullable is the plain $ref again.
            var schemas = swaggerDoc.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>();
            foreach (var properties in schemas.Values.Select(s => s.Properties).OfType<IDictionary<string, IOpenApiSchema>>())
            {
                foreach (var (name, property) in properties.ToList())
                {
                    properties[name] = Plain(property, schemas);
                }
            }

            foreach (var media in swaggerDoc.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()).SelectMany(o => o.RequestBody?.Content?.Values ?? []))
            {
                if (media is OpenApiMediaType { Schema: { } schema } m)
                {
                    m.Schema = Plain(schema, schemas);
                }
            }
        }

        private static IOpenApiSchema Plain(IOpenApiSchema schema, IDictionary<string, IOpenApiSchema> schemas)
        {
            if (schema is not OpenApiSchema { AllOf: [OpenApiSchemaReference { Reference.Id: { } id } reference] } wrapper)
            {
                return schema;
            }

            if ((wrapper.Type ?? 0) == 0 && wrapper.Description is null)
            {
                return reference;
            }

            if ((wrapper.Type ?? 0) == JsonSchemaType.Null && schemas.TryGetValue(id, out var target))
            {
                wrapper.Type = (target.Type ?? 0) | JsonSchemaType.Null;
                wrapper.Items = target.Items; // an array type needs its items beside it
            }

            return wrapper;
        }
    }
}
