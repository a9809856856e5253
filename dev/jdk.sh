# Sourced by ./amiforge and ./run-tests: sets AMIFORGE_JAVA_HOME to a JDK >= 25
# (JAVA_HOME if it is one, else the newest under /usr/lib/jvm), or exits with a clear message.
# The JDK's major version: from its release file when it has one (no JVM start, which cost
# 0.1-0.4 s of every ./amiforge run; read with bash alone, as a sed per JDK cost 7 ms each),
# else by asking its java.
java_major() {
  local v="" line
  if [ -f "$1/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        JAVA_VERSION=\"[0-9]*) v="${line#JAVA_VERSION=\"}"; v="${v%%[!0-9.]*}"; break ;;
      esac
    done <"$1/release"
  fi
  if [ -z "$v" ]; then
    v="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  fi
  echo "${v%%.*}"
}
AMIFORGE_JAVA_HOME=""
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
  AMIFORGE_JAVA_HOME="$JAVA_HOME"
else
  best=0
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] || continue
    major="$(java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 25 ] 2>/dev/null && [ "$major" -gt "$best" ]; then
      best="$major"; AMIFORGE_JAVA_HOME="$candidate"
    fi
  done
fi
if [ -z "$AMIFORGE_JAVA_HOME" ]; then
  echo "amiforge: needs a JDK 25 or newer (with javac); JAVA_HOME${JAVA_HOME:+=$JAVA_HOME} is not one and none was found under /usr/lib/jvm." >&2
  echo "amiforge: install one (e.g. Debian's openjdk-25-jdk or a Temurin 25) or point JAVA_HOME at it." >&2
  exit 1
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "amiforge: needs Apache Maven (mvn) on the PATH to build; install Debian's maven package." >&2
  exit 1
fi
export AMIFORGE_JAVA_HOME
