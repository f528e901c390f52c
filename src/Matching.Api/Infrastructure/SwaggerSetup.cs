using Microsoft.OpenApi;

namespace Matching.Api.Infrastructure;

/// <summary>OpenAPI document and Swagger UI at /swagger, with the API key scheme so the UI can call the API.</summary>
public static class SwaggerSetup
{
    /// <summary>Registers the generator.</summary>
    public static void AddSwagger(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Therapist matching API",
                Version = "v1",
                Description = "Ranks therapists by the working alliance a client is likely to build with each, explained in Bordin's three pillars.",
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
        });
    }

    /// <summary>Serves the document and the UI.</summary>
    public static void UseSwaggerPages(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o => o.DocumentTitle = "Therapist matching API");
    }
}
