# The .NET services' images, one target each, built with the repo root as context (the build stage needs the
# services' projects and the root props):
#   docker build --target interface -t dlopbox/interface .      (watcher, client likewise)
# The base images are build arguments, the official ones by default. Where no registry answers,
# deploy/images/build.sh makes local stand-ins from the host's .NET install:
#   --build-arg SDK_IMAGE=dlopbox-local/dotnet-sdk:10.0 --build-arg RUNTIME_IMAGE=dlopbox-local/dotnet-aspnet:10.0
# The classic builder builds it (no BuildKit features: no `# syntax=` line, no COPY --chmod); it builds the
# stages before the target too, which costs nothing once they are cached.
ARG DOTNET_VERSION=10.0
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}

# Restores and publishes all three services, so whichever image is built first leaves these layers in the
# build cache and the other two reuse them instead of compiling the shared projects again.
FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Project files first: the restore layer is reused until a csproj or a root props file changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Dlopbox.Contracts/Dlopbox.Contracts.csproj Dlopbox.Contracts/
COPY Dlopbox.EventBus/Dlopbox.EventBus.csproj Dlopbox.EventBus/
COPY Dlopbox.FileSystem/Dlopbox.FileSystem.csproj Dlopbox.FileSystem/
COPY Dlopbox.ServiceDefaults/Dlopbox.ServiceDefaults.csproj Dlopbox.ServiceDefaults/
COPY Dlopbox.Watcher/Dlopbox.Watcher.csproj Dlopbox.Watcher/
COPY Dlopbox.Interface/Dlopbox.Interface.csproj Dlopbox.Interface/
COPY Dlopbox.Client/Dlopbox.Client.csproj Dlopbox.Client/
RUN for service in Watcher Interface Client; do dotnet restore "Dlopbox.$service/Dlopbox.$service.csproj"; done
# .editorconfig too: the build enforces code style, so the image builds exactly what CI checked.
COPY .editorconfig ./
COPY Dlopbox.Contracts/ Dlopbox.Contracts/
COPY Dlopbox.EventBus/ Dlopbox.EventBus/
COPY Dlopbox.FileSystem/ Dlopbox.FileSystem/
COPY Dlopbox.ServiceDefaults/ Dlopbox.ServiceDefaults/
COPY Dlopbox.Watcher/ Dlopbox.Watcher/
COPY Dlopbox.Interface/ Dlopbox.Interface/
COPY Dlopbox.Client/ Dlopbox.Client/
RUN for service in Watcher Interface Client; do \
        dotnet publish "Dlopbox.$service/Dlopbox.$service.csproj" -c Release --no-restore -o "/out/$service" -p:UseAppHost=false; \
    done

# What the three images share: the glibc runtime image (not Alpine: the Watcher P/Invokes "libc", which the
# runtime maps to glibc's libc.so.6), not chiseled either: the health probe needs bash. Each runs as the
# image's non-root user and listens on every interface (the embedded default stays on 127.0.0.1 via
# appsettings.json); state lives in a volume at /var/lib/dlopbox, whose dirs exist in the image so that a
# new volume is created owned by the app user.
FROM ${RUNTIME_IMAGE} AS runtime
# RUN chmod rather than COPY --chmod (BuildKit only): the probe is executable whatever the checkout's modes.
COPY deploy/docker/healthcheck.sh /usr/local/bin/dlopbox-healthcheck
RUN chmod 755 /usr/local/bin/dlopbox-healthcheck
WORKDIR /app
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["dlopbox-healthcheck"]

# The Interface: the SQLite event log (when no MongoDB is configured) in its volume.
FROM runtime AS interface
RUN mkdir -p /var/lib/dlopbox/interface && chown -R "$APP_UID" /var/lib/dlopbox
COPY --from=build /out/Interface /app
USER $APP_UID
ENV Urls=http://0.0.0.0:5000 \
    DLOPBOX_HEALTH_PORT=5000 \
    Interface__DataDir=/var/lib/dlopbox/interface
EXPOSE 5000
ENTRYPOINT ["dotnet", "/app/Dlopbox.Interface.dll"]

# The watcher: the master dir is mounted at /shared, owned by the app user too, so that a new named volume
# there takes that owner and files can be created through the container. Inotify sees changes within
# milliseconds; set Watcher__Mode=Polling for Docker Desktop bind mounts, where no inotify events cross
# from the host into the VM.
FROM runtime AS watcher
RUN mkdir -p /var/lib/dlopbox/watcher /shared && chown -R "$APP_UID" /var/lib/dlopbox /shared
COPY --from=build /out/Watcher /app
USER $APP_UID
ENV Urls=http://0.0.0.0:8080 \
    DLOPBOX_HEALTH_PORT=8080 \
    Watcher__MasterDir=/shared \
    Watcher__StateDir=/var/lib/dlopbox/watcher \
    Watcher__Mode=Inotify
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/Dlopbox.Watcher.dll"]

# A client: its replica and its applied offset, each in a volume (named or anonymous, one per scaled replica).
FROM runtime AS client
RUN mkdir -p /replica /var/lib/dlopbox/client && chown -R "$APP_UID" /replica /var/lib/dlopbox
COPY --from=build /out/Client /app
USER $APP_UID
ENV Urls=http://0.0.0.0:8080 \
    DLOPBOX_HEALTH_PORT=8080 \
    Client__ReplicaDir=/replica \
    Client__StateDir=/var/lib/dlopbox/client
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/Dlopbox.Client.dll"]
