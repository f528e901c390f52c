# syntax=docker/dockerfile:1
# The API image. Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t matching-api .
# SDK stage restores and publishes; the final stage is the ASP.NET runtime with the published
# folder only (appsettings.Development.json and its demo keys are excluded from publish and from
# the build context), run as the image's non-root user, and writes nothing outside /tmp, so it
# runs with a read-only root file system and a tmpfs (or emptyDir) on /tmp.
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Project files first, so the restore layer is reused until a project or a version changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Matching.Engine/Matching.Engine.csproj src/Matching.Engine/
COPY src/Matching.Data/Matching.Data.csproj src/Matching.Data/
COPY src/Matching.Training/Matching.Training.csproj src/Matching.Training/
COPY src/Matching.Api/Matching.Api.csproj src/Matching.Api/
RUN dotnet restore src/Matching.Api/Matching.Api.csproj
COPY src/ src/
RUN dotnet publish src/Matching.Api/Matching.Api.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && test ! -e /app/appsettings.Development.json

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS final
WORKDIR /app
COPY --from=build /app ./
# Production settings; keys and the connection string come from the environment or mounted
# secrets at run time, never from the image. The diagnostics IPC socket is off so nothing is
# written outside /tmp; /metrics and OTLP are the ways to observe the process.
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_EnableDiagnostics=0 \
    Matching__Database__Engine=SqlServer \
    Matching__Demo__Enabled=false
EXPOSE 8080
# APP_UID (1654) is the non-root "app" user every .NET 8+ image defines.
USER $APP_UID
# The image has no curl or wget: bash's /dev/tcp sends the request. Healthy = /health/ready is 200
# (database reachable and migrated, a ranker loaded; Degraded is still 200).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "Matching.Api.dll"]
