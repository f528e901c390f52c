# syntax=docker/dockerfile:1
# The `matching` CLI image (db migrate|status, train, evaluate, simulate, ltr). Build from the
# repository root:
#   docker build -f deploy/docker/cli.Dockerfile -t matching-cli .
#   docker run --rm --env-file deploy/matching.env matching-cli db status
# SDK stage publishes; the final stage is the .NET runtime, non-root, read-only root file system
# friendly: training reports go to /reports (mount a volume), temporary files to /tmp.
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Matching.Engine/Matching.Engine.csproj src/Matching.Engine/
COPY src/Matching.Data/Matching.Data.csproj src/Matching.Data/
COPY src/Matching.Training/Matching.Training.csproj src/Matching.Training/
COPY src/Matching.Cli/Matching.Cli.csproj src/Matching.Cli/
RUN dotnet restore src/Matching.Cli/Matching.Cli.csproj
COPY src/ src/
RUN dotnet publish src/Matching.Cli/Matching.Cli.csproj -c Release --no-restore -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_VERSION} AS final
WORKDIR /app
COPY --from=build /app ./
# A named volume mounted here starts with this owner, so the non-root user can write reports.
RUN mkdir /reports && chown "$APP_UID" /reports
ENV DOTNET_EnableDiagnostics=0 \
    Matching__Database__Engine=SqlServer
USER $APP_UID
# A one-shot command, not a server: there is nothing to probe. Its exit code is its health
# (db status: 3 while migrations are pending; train: 1 when the run failed).
HEALTHCHECK NONE
ENTRYPOINT ["dotnet", "matching.dll"]
