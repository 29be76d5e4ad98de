# Signet in a container: a static binary (no cgo, so no C library) in
# distroless/static, which holds CA certificates, time zones and a nonroot
# user, and no shell or package manager. It runs as uid 65532 and writes only
# to /data (a volume), so the root filesystem can be mounted read-only:
#
#   docker build -t signet .
#   docker run --read-only -p 8080:8080 -v signet-data:/data signet
#
# Without a configuration file it serves in development mode; mount one and
# name it with SIGNET_CONFIG (see the README's "Deploy" section).
# cmd/signet/deploy_test.go builds the binary with this file's go build
# command and runs it as the container would.

ARG GO_VERSION=1.26

# Plain Dockerfile syntax (no BuildKit-only feature, no syntax image to
# pull), so that docker, podman and az acr build all take it as it is.
FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Set by docker buildx --platform; empty (this machine's) otherwise.
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
# CGO_ENABLED=0: a static binary; -trimpath: no build paths in it. The
# pkcs11 build tag (cgo) is left out: an HSM needs a binary built for its
# host's C library, not this image.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w -X main.version=$VERSION" -o /out/signet ./cmd/signet
# The data directory, owned by the user the server runs as: a named volume
# mounted on /data starts as a copy of it, with its owner and mode.
RUN mkdir -m 0700 /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/signet /signet
COPY --from=build --chown=65532:65532 /out/data /data
# Numeric, so that Kubernetes' runAsNonRoot can check it without /etc/passwd.
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
# serve listens on every interface at $PORT when no listen address is
# configured; App Service (WEBSITES_PORT), Cloud Run and Heroku set their own.
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/signet"]
CMD ["serve"]
