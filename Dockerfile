# Build: the release binary, with migrations and Swagger UI compiled in.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin voting-game

# Run: a small Debian with CA certificates (for the OpenAI API), as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 app
COPY --from=build /src/target/release/voting-game /usr/local/bin/voting-game
USER app
# The image is for deployments: production unless told otherwise (it then needs JWT_SECRET).
ENV APP_ENV=production HOST=0.0.0.0 PORT=8000
EXPOSE 8000
CMD ["voting-game"]
