# syntax=docker/dockerfile:1
# The connector image: a static binary on distroless, run as the nonroot user.
#   docker build --build-arg VERSION=$(git describe --tags --always) -t connector .
#   docker run --rm -v $PWD/config.yaml:/etc/connector/config.yaml:ro -e TIKI_CLIENT_SECRET=... connector

# The build stage runs on the builder's platform and cross-compiles for the
# target's (docker buildx build --platform linux/amd64,linux/arm64): no
# emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/connector ./cmd/connector

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/connector /connector
USER 65532:65532
# /metrics, /healthz, /readyz, /status (http.listen, default :8080).
EXPOSE 8080
ENTRYPOINT ["/connector"]
CMD ["run", "-c", "/etc/connector/config.yaml"]
