#!/usr/bin/env bash
# The load benchmark (DESIGN.md "Performance budget"): builds Release, then runs bench/SomaAgent.Bench, which
# starts the gateway as a child process on a free loopback port with a temp data dir, drives it with
# concurrent virtual clients and prints a table plus one JSON line. Not part of eng/test.sh; run on demand.
#
#   eng/bench.sh                                        sqlite, 50 clients, ≤ 2000 runs, ≤ 30 s
#   eng/bench.sh --clients 10
#   eng/bench.sh --clients 200 --time-per-token-ms 20
#   eng/bench.sh --store postgres                       starts a private PostgreSQL 15 for the run (its CPU reported too)
#   eng/bench.sh --store postgres --redis private       and a private redis-server for the gateway (CPU of all three)
#   eng/bench.sh --store postgres --postgres "Host=127.0.0.1;Port=5432;Username=…;Password=…;Database=…"
#   eng/bench.sh --scenario tools                       tool-heavy runs (four tool calls in one step)
#   eng/bench.sh --scenario reads --arrival open --rate 2000 --ramp 10 --clients 200
#                                                       plain API reads at a fixed rate: the gateway's own overhead
#   eng/bench.sh --arrival conversation --clients 1000 --think 5 --turns 5 --time-to-first-token-ms 50 --time-per-token-ms 20
#                                                       users in multi-turn sessions with think time (a run is one turn)
#   eng/bench.sh --store postgres --redis private --workers 2 --arrival conversation --clients 500 …
#                                                       the production shape: 2 Workers processes over librdkafka's
#                                                       mock cluster (its own process), the gateway hosting none
#   eng/bench.sh --report bench-out                     also bench-out/bench-result.json and bench-report.md (chart)
#   eng/bench.sh --smoke                                a few seconds at small load (the default tests run this)
#   eng/bench.sh statements [--store postgres --redis private] [--clients 50 --runs 1000]
#                                                       the statements (and Redis commands) one agent run sends
#   eng/bench.sh --url http://127.0.0.1:8010 --server-pid 1234   an already running gateway
#   eng/bench.sh --help
#
# The kafka scenario: the production shape over the Kafka wire protocol (librdkafka's mock cluster in the bench
# process, a gateway and Workers processes on one store, Workers joining and replaced under load):
#   eng/bench.sh kafka                                  20 clients, 10000 runs; exits 1 on any wrong answer,
#                                                       late stream, late tool result or client error
#   eng/bench.sh kafka --runs 500 --restart-every 0     a short run, no replacements
#   eng/bench.sh kafka --store postgres                 on a private PostgreSQL 15
#   eng/bench.sh kafka --help
#
# Many open streams: sessions each followed by an SSE stream (?follow=true) on one gateway, idle, then all given a turn:
#   eng/bench.sh streams --sessions 10000 --idle 30      gateway RSS and CPU, every event delivered, delivery delay
#   eng/bench.sh streams --help
#
# The fault run: the production shape (private PostgreSQL, Redis, a mock Kafka cluster in its own process, a gateway,
# Workers processes) under conversation load while a worker is SIGKILLed and Redis, PostgreSQL and a broker restart;
# then every session is checked (each turn ended, logs gapless, accepted messages stored once):
#   eng/bench.sh faults --result docs/results/faults.json
#   eng/bench.sh faults --smoke                         20 users, a fault every 6 s (the default tests run this)
#   eng/bench.sh faults --help
#
# The registry scenario: publish and download 100 KB and 10 MB capsules through the gateway and directly, then
# search a database of 10,000 capsules (a gateway and a registry as child processes on one SQLite store):
#   eng/bench.sh registry                               see `eng/bench.sh registry --help`
#
# The tool result cache scenario drives the runtime's ToolExecutor in-process instead (no gateway):
#   eng/bench.sh tool-cache                             memory cache, 20000 Zipf(1.1) calculator calls
#   eng/bench.sh tool-cache --redis                     two worker hosts sharing a private redis-server
#   eng/bench.sh tool-cache --zipf 0.8 --calls 50000    see `eng/bench.sh tool-cache --help`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ "${1:-}" = registry ]; then
  dotnet build src/SomaAgent.Gateway -c Release -nologo -v quiet
  dotnet build src/SomaAgent.Registry -c Release -nologo -v quiet
  dotnet build bench/SomaAgent.Bench -c Release -nologo -v quiet
  exec dotnet bench/SomaAgent.Bench/bin/Release/net10.0/SomaAgent.Bench.dll "$@"
fi

if [ "${1:-}" = tool-cache ]; then
  dotnet build bench/SomaAgent.Bench -c Release -nologo -v quiet
  exec dotnet bench/SomaAgent.Bench/bin/Release/net10.0/SomaAgent.Bench.dll "$@"
fi

dotnet build src/SomaAgent.Gateway -c Release -nologo -v quiet
dotnet build src/SomaAgent.Workers -c Release -nologo -v quiet
dotnet build bench/SomaAgent.Bench -c Release -nologo -v quiet

args=("$@")
store=sqlite; have_conn=false; have_url=false
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --store) store="${args[i+1]:-}" ;;
    --postgres) have_conn=true ;;
    --url) have_url=true ;;
  esac
done

# --store postgres without a connection string: a private cluster in a temp dir (shared TEST-SERVERS.md §2),
# fsync off like the tests' PostgresServer, stopped by its postmaster PID on exit.
if [ "$store" = postgres ] && ! $have_conn && ! $have_url; then
  pgbin=/usr/lib/postgresql/15/bin
  [ -x "$pgbin/pg_ctl" ] || { echo "bench: PostgreSQL 15 is missing ($pgbin); run eng/install-test-deps.sh" >&2; exit 1; }
  as_pg=(); [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
  pgdir=$(cd /tmp && mktemp -d -t somaagent-bench-pg-XXXXXX)
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "$password" >"$pgdir/pw"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$pgdir"
  stop_pg() {
    if [ -f "$pgdir/data/postmaster.pid" ]; then
      pid=$(head -1 "$pgdir/data/postmaster.pid")
      kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$pgdir"
  }
  trap stop_pg EXIT
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  (cd /tmp && "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=scram-sha-256 --pwfile="$pgdir/pw" -E UTF8 --locale=C.UTF-8 >/dev/null)
  (cd /tmp && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/pg.log" -w -t 30 -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null)
  echo "bench: private PostgreSQL on 127.0.0.1:$port ($pgdir)"
  args+=(--postgres "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=postgres;Maximum Pool Size=100")
  args+=(--store-pid "$(head -1 "$pgdir/data/postmaster.pid")")
fi

status=0
dotnet bench/SomaAgent.Bench/bin/Release/net10.0/SomaAgent.Bench.dll "${args[@]}" || status=$?
exit $status
