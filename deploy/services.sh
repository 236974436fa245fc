#!/usr/bin/env bash
# Services mode on one Debian machine: NATS (JetStream), Redis and ClickHouse.
#
#   bash deploy/services.sh up       install what is missing, start what is not running, wait until ready
#   bash deploy/services.sh status   say what runs where; exit 1 unless all are ready
#   bash deploy/services.sh down     stop what `up` started (and only that)
#
# Idempotent: a service that already answers on its port is reused, never started twice. Settings
# are environment variables (PW_NATS_PORT, PW_CLICKHOUSE_DATA_DIR, ...), listed in deploy/README.md.
set -euo pipefail

BIND=${PW_SERVICES_BIND:-127.0.0.1}
NATS_PORT=${PW_NATS_PORT:-4222}
NATS_MONITOR_PORT=${PW_NATS_MONITOR_PORT:-8222}
NATS_DATA_DIR=${PW_NATS_DATA_DIR:-/var/lib/pulsewatch/nats}
REDIS_PORT=${PW_REDIS_PORT:-6379}
REDIS_DATA_DIR=${PW_REDIS_DATA_DIR:-/var/lib/pulsewatch/redis}
CLICKHOUSE_HTTP_PORT=${PW_CLICKHOUSE_HTTP_PORT:-8123}
CLICKHOUSE_TCP_PORT=${PW_CLICKHOUSE_TCP_PORT:-9000}
CLICKHOUSE_DATA_DIR=${PW_CLICKHOUSE_DATA_DIR:-/var/lib/pulsewatch/clickhouse}
CLICKHOUSE_CONFIG_DIR=${PW_CLICKHOUSE_CONFIG_DIR:-/etc/pulsewatch/clickhouse}
CLICKHOUSE_PASSWORD=${PW_CLICKHOUSE_PASSWORD:-}
LOG_DIR=${PW_SERVICES_LOG_DIR:-/var/log/pulsewatch}
RUN_DIR=${PW_SERVICES_RUN_DIR:-/run/pulsewatch}
TIMEOUT=${PW_SERVICES_TIMEOUT:-30}
SERVICES=${PW_SERVICES:-nats redis clickhouse}

NATS_BIN=/usr/sbin/nats-server
# Debian's redis-server is a link to redis-check-rdb, which acts on its argv[0]: started by this
# name, compared by the resolved one.
REDIS_BIN=/usr/bin/redis-server
CLICKHOUSE_BIN=/usr/sbin/clickhouse-server
# The address clients use: the bind address, unless it is the wildcard.
ADDR=$BIND
[ "$ADDR" = 0.0.0.0 ] && ADDR=127.0.0.1

say() { printf '%s\n' "$*"; }
die() {
  printf 'services.sh: %s\n' "$*" >&2
  exit 1
}

# ---- probes: plain bash /dev/tcp, so a fresh machine needs no curl or client tools ----

# The first line the server sends after connecting (and after REQUEST, if given), within 2 s.
tcp_line() {
  (
    exec 3<>"/dev/tcp/$1/$2"
    [ -z "${3:-}" ] || printf '%b' "$3" >&3
    IFS= read -r -t 2 line <&3 || exit 1
    printf '%s\n' "${line%$'\r'}"
  ) 2>/dev/null || true
}

# The body of GET PATH if the status is 200, else nothing.
http_get() {
  (
    exec 3<>"/dev/tcp/$1/$2"
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$3" "$1" >&3
    IFS= read -r -t 2 status <&3 || exit 1
    [[ "$status" == *" 200 "* ]] || exit 1
    while IFS= read -r -t 2 line <&3 && [ -n "${line%$'\r'}" ]; do :; done
    while IFS= read -r -t 2 line <&3 || [ -n "$line" ]; do
      printf '%s\n' "$line"
      line=""
    done
  ) 2>/dev/null || true
}

# 0: NATS with JetStream answers; 2: a NATS without JetStream answers; 1: nothing answers.
nats_probe() {
  local info
  info=$(tcp_line "$ADDR" "$NATS_PORT")
  case "$info" in
    INFO*'"jetstream":true'*) return 0 ;;
    INFO*) return 2 ;;
    *) return 1 ;;
  esac
}
redis_probe() { [ "$(tcp_line "$ADDR" "$REDIS_PORT" 'PING\r\n')" = "+PONG" ]; }
clickhouse_probe() { [ "$(http_get "$ADDR" "$CLICKHOUSE_HTTP_PORT" /ping)" = "Ok." ]; }

# 0: ready; 1: nothing answers; 2 (NATS only): a NATS without JetStream answers.
probe() {
  case "$1" in
    nats) nats_probe ;;
    redis) redis_probe ;;
    clickhouse) clickhouse_probe ;;
  esac
}

where() {
  case "$1" in
    nats)
      local monitor=""
      [ -n "$(http_get "$ADDR" "$NATS_MONITOR_PORT" /healthz)" ] && monitor=", monitor http://$ADDR:$NATS_MONITOR_PORT"
      say "nats://$ADDR:$NATS_PORT (JetStream$monitor)"
      ;;
    redis) say "redis://$ADDR:$REDIS_PORT" ;;
    clickhouse) say "http://$ADDR:$CLICKHOUSE_HTTP_PORT (native protocol on $CLICKHOUSE_TCP_PORT)" ;;
  esac
}

# ---- pid files: `down` stops a process only if this script started it ----

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
binary_of() {
  case "$1" in
    nats) say "$NATS_BIN" ;;
    redis) say "$REDIS_BIN" ;;
    clickhouse) say "$CLICKHOUSE_BIN" ;;
  esac
}

# Prints the pid of the process this script started for SERVICE, if it still runs.
our_pid() {
  local file pid exe
  file=$(pid_file "$1")
  [ -r "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid belongs to another program: compare the executable.
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [ "${exe% (deleted)}" = "$(readlink -f "$(binary_of "$1")")" ] || return 1
  say "$pid"
}

# ---- installing ----

package_of() {
  case "$1" in
    nats) say nats-server ;;
    redis) say redis-server ;;
    clickhouse) say clickhouse-server ;;
  esac
}

install_packages() {
  [ "$#" -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || die "missing $*; installing needs root: apt-get install $*"
  say "installing from Debian's packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the packages from starting their own daemons (Debian's nats-server runs without
  # JetStream on 4222, which would block ours); this script starts them with its own settings.
  local policy=/usr/sbin/policy-rc.d own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  local rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } || rc=$?
  [ -z "$own_policy" ] || rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install $* failed"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    # Booting would start them with the packages' settings next to ours.
    systemctl disable --quiet "$@" 2>/dev/null || true
  fi
}

# ---- starting ----

# A package's system user owns the service's files, when the package created one.
run_as() { if id "$1" >/dev/null 2>&1; then say "$1"; else say root; fi; }

prepare_dirs() {
  local user=$1
  shift
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$@"
  chown "$user:" "$@"
}

start_daemon() {
  local service=$1 user=$2
  shift 2
  local log="$LOG_DIR/$service.out.log"
  touch "$log"
  chown "$user:" "$log"
  start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$(pid_file "$service")" \
    --chuid "$user" --output "$log" --exec "$(binary_of "$service")" -- "$@"
}

start_nats() {
  local user
  user=$(run_as nats)
  prepare_dirs "$user" "$NATS_DATA_DIR"
  start_daemon nats "$user" --addr "$BIND" --port "$NATS_PORT" --http_port "$NATS_MONITOR_PORT" \
    --jetstream --store_dir "$NATS_DATA_DIR"
}

start_redis() {
  local user
  user=$(run_as redis)
  prepare_dirs "$user" "$REDIS_DATA_DIR"
  start_daemon redis "$user" --bind "$BIND" --port "$REDIS_PORT" --dir "$REDIS_DATA_DIR" \
    --daemonize no --appendonly yes --save "60 1000" --logfile ""
}

write_clickhouse_config() {
  local password="<password></password>"
  if [ -n "$CLICKHOUSE_PASSWORD" ]; then
    password="<password_sha256_hex>$(printf '%s' "$CLICKHOUSE_PASSWORD" | sha256sum | cut -d' ' -f1)</password_sha256_hex>"
  fi
  mkdir -p "$CLICKHOUSE_CONFIG_DIR"
  # <yandex> is the root element ClickHouse 18.16 knows; current releases accept it too.
  cat >"$CLICKHOUSE_CONFIG_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by deploy/services.sh on every start; edit the script's settings instead. -->
<yandex>
  <logger>
    <level>warning</level>
    <log>$LOG_DIR/clickhouse.log</log>
    <errorlog>$LOG_DIR/clickhouse.err.log</errorlog>
    <size>100M</size>
    <count>3</count>
  </logger>
  <listen_host>$BIND</listen_host>
  <http_port>$CLICKHOUSE_HTTP_PORT</http_port>
  <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>
  <path>$CLICKHOUSE_DATA_DIR/</path>
  <tmp_path>$CLICKHOUSE_DATA_DIR/tmp/</tmp_path>
  <user_files_path>$CLICKHOUSE_DATA_DIR/user_files/</user_files_path>
  <format_schema_path>$CLICKHOUSE_DATA_DIR/format_schemas/</format_schema_path>
  <users_config>$CLICKHOUSE_CONFIG_DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
EOF
  cat >"$CLICKHOUSE_CONFIG_DIR/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      $password
      <networks><ip>::/0</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

start_clickhouse() {
  local user
  user=$(run_as clickhouse)
  prepare_dirs "$user" "$CLICKHOUSE_DATA_DIR"
  write_clickhouse_config
  touch "$LOG_DIR/clickhouse.log" "$LOG_DIR/clickhouse.err.log"
  chown "$user:" "$LOG_DIR/clickhouse.log" "$LOG_DIR/clickhouse.err.log"
  start_daemon clickhouse "$user" "--config-file=$CLICKHOUSE_CONFIG_DIR/config.xml"
}

# Log sizes when the start began, so a failure shows what this start wrote, not older lines.
declare -A LOG_MARK=()
mark_logs() {
  local log
  for log in $(logs_of "$1"); do LOG_MARK[$log]=$(stat -c %s "$log" 2>/dev/null || echo 0); done
}

logs_of() {
  case "$1" in
    clickhouse) say "$LOG_DIR/clickhouse.err.log $LOG_DIR/clickhouse.out.log" ;;
    *) say "$LOG_DIR/$1.out.log" ;;
  esac
}

fail_start() {
  local service=$1 why=$2 log
  printf 'services.sh: %s %s\n' "$service" "$why" >&2
  # A daemon that timed out may still come up: its pid file stays, so `down` can stop it.
  our_pid "$service" >/dev/null || rm -f "$(pid_file "$service")"
  for log in $(logs_of "$service"); do
    [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt "${LOG_MARK[$log]:-0}" ] || continue
    printf -- '--- %s ---\n' "$log" >&2
    tail -c "+$((${LOG_MARK[$log]:-0} + 1))" "$log" | tail -n 15 >&2
  done
  exit 1
}

wait_ready() {
  local service=$1 pid=$2 deadline=$((SECONDS + TIMEOUT))
  until probe "$service"; do
    kill -0 "$pid" 2>/dev/null || fail_start "$service" "exited during start-up (is its port taken?)"
    [ "$SECONDS" -lt "$deadline" ] ||
      fail_start "$service" "did not become ready on $(where "$service") within ${TIMEOUT} s (PW_SERVICES_TIMEOUT)"
    sleep 0.1
  done
}

# ---- commands ----

check_service_names() {
  local s
  for s in $SERVICES; do
    case "$s" in nats | redis | clickhouse) ;; *) die "unknown service '$s' in PW_SERVICES (nats, redis, clickhouse)" ;; esac
  done
}

# Prints the state of SERVICE as `up` and `status` report it; returns probe's code.
report() {
  local s=$1 rc=0 pid
  probe "$s" || rc=$?
  pid=$(our_pid "$s" || true)
  case "$rc" in
    0)
      local who="not started by services.sh (reused)"
      [ -z "$pid" ] || who="started by services.sh (pid $pid)"
      printf '%-10s ready at %s, %s\n' "$s" "$(where "$s")" "$who"
      ;;
    2) printf '%-10s a NATS without JetStream answers on %s:%s\n' "$s" "$ADDR" "$NATS_PORT" ;;
    *)
      if [ -n "$pid" ]; then
        printf '%-10s started by services.sh (pid %s) but not answering\n' "$s" "$pid"
      else
        printf '%-10s not running\n' "$s"
      fi
      ;;
  esac
  return "$rc"
}

up() {
  local s rc missing=() to_start=() pid
  for s in $SERVICES; do
    rc=0
    probe "$s" || rc=$?
    [ "$rc" -ne 2 ] ||
      die "a NATS server answers on $ADDR:$NATS_PORT without JetStream; restart it with --jetstream or set PW_NATS_PORT to a free port"
    [ "$rc" -eq 0 ] && continue
    to_start+=("$s")
    [ -x "$(binary_of "$s")" ] || missing+=("$(package_of "$s")")
  done
  if [ "${#to_start[@]}" -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
    die "not running: ${to_start[*]}; starting them needs root (sudo bash deploy/services.sh up)"
  fi
  install_packages "${missing[@]}"
  for s in $SERVICES; do
    if [[ " ${to_start[*]} " == *" $s "* ]]; then
      # A daemon of ours that is still starting (a concurrent `up`) is waited for, not started twice.
      pid=$(our_pid "$s" || true)
      if [ -z "$pid" ]; then
        mark_logs "$s"
        "start_$s"
        pid=$(cat "$(pid_file "$s")")
      fi
      wait_ready "$s" "$pid"
    fi
    report "$s"
  done
}

down() {
  local s pid file list=()
  for s in $SERVICES; do list=("$s" "${list[@]}"); done
  for s in "${list[@]}"; do
    file=$(pid_file "$s")
    if pid=$(our_pid "$s"); then
      start-stop-daemon --stop --quiet --pidfile "$file" --exec "$(readlink -f "$(binary_of "$s")")" --retry TERM/30/KILL/5 ||
        die "could not stop $s (pid $pid)"
      rm -f "$file"
      printf '%-10s stopped (pid %s)\n' "$s" "$pid"
    else
      rm -f "$file"
      if probe "$s"; then
        printf '%-10s not started by services.sh; left running at %s\n' "$s" "$(where "$s")"
      else
        printf '%-10s not running (or not started by services.sh)\n' "$s"
      fi
    fi
  done
}

status() {
  local s all=0
  for s in $SERVICES; do report "$s" || all=1; done
  return "$all"
}

check_service_names
case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *)
    say "usage: bash deploy/services.sh up|down|status   (settings: deploy/README.md)" >&2
    exit 2
    ;;
esac
