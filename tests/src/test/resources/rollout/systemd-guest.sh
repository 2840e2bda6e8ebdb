#!/bin/sh
# Runs in the qemu guest of SystemdGuestKernelTest as pwtest.service, with systemd as PID 1 on cgroup v2 and the
# host's root file system under a tmpfs overlay. Installs the poolwarden package, then drives the real unit:
# start, Delegate, app groups in the delegated subtree, reload (SIGHUP, same PID), stop. Lines "PW key ..." go to
# the host, which asserts; this script only measures and reports.
say() { echo "PW $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
C=/sys/fs/cgroup
SVC=$C/poolwarden.slice/poolwarden.service
API=http://127.0.0.1:7474
api() { curl -sS -m 20 -H "Authorization: Bearer $(cat /etc/poolwarden/api.token)" "$API$1"; }
json() { sed -n "s/.*\"$1\" *: *\"\{0,1\}\([^\",]*\).*/\1/p" | head -1; }

# A step that failed makes every later one meaningless: say why, show the logs, and power off (the host asserts).
abort() {
  say abort step=$1
  journalctl -u poolwarden --no-pager -o cat 2>/dev/null | tail -30 | sed 's/^/PWLOG /'
  systemctl status --no-pager poolwarden.service 2>&1 | head -20 | sed 's/^/PWLOG /'
  exit 0
}

say boot uptime=$(up) pid1=$(cat /proc/1/comm) fs=$(stat -fc %T $C) kernel=$(uname -r)
say system-state $(systemctl is-system-running 2>&1 | head -1)
# The host's root is the lower layer: anything of poolwarden's there would be installed over, not installed.
say preinstall status=$(dpkg-query -W -f='${Status}' poolwarden 2>/dev/null | tr ' ' _) found=$(ls -d /etc/poolwarden \
  /var/lib/poolwarden /usr/share/poolwarden /usr/bin/poolwarden /lib/systemd/system/poolwarden.* \
  /etc/systemd/system/poolwarden* /etc/default/poolwarden 2>/dev/null | tr '\n' ,)

# The package comes in the initramfs (copied to /pw), not over 9p: the guest cannot see every host path (its /tmp
# and /var/tmp are its own, and a clone of the project under /tmp is where CI builds it).
t=$(up)
dpkg -i /pw/poolwarden.deb > /pw/dpkg.log 2>&1
rc=$?
say dpkg rc=$rc seconds=$(echo "$(up) $t" | awk '{print $1-$2}') status=$(dpkg-query -W -f='${Status}' poolwarden | tr ' ' _)
if [ $rc -ne 0 ]; then
  sed 's/^/PWLOG dpkg: /' /pw/dpkg.log | tail -30
  abort dpkg
fi
say unit-file $(systemctl show -p LoadState,UnitFileState,Delegate,Slice --value poolwarden.service | tr '\n' ' ')

# A process the agent must place into its app group (the pattern is unique to this test).
sleep 4242 &
SLEEPER=$!
say sleeper home=$(cut -d: -f3 /proc/$SLEEPER/cgroup)
cat > /etc/poolwarden/poolwarden.yaml <<'CFG'
mode: enforce
cgroups:
  root: poolwarden.slice/poolwarden.service/apps
apps:
  - name: sleeper
    processRules:
      - cmdline: "sleep 4242"
    policy:
      cpu: {weight: 300}
CFG
printf 'POOLWARDEN_JAVA_OPTS=-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1\n' > /etc/default/poolwarden

t=$(up)
systemctl start poolwarden.service
rc=$?
say start rc=$rc seconds=$(echo "$(up) $t" | awk '{print $1-$2}') active=$(systemctl is-active poolwarden.service)
[ $rc -eq 0 ] || abort start
PID=$(systemctl show -p MainPID --value poolwarden.service)
say slice subtree=$(tr ' ' , < $C/poolwarden.slice/cgroup.subtree_control)
say main pid=$PID cgroup=$(cut -d: -f3 /proc/$PID/cgroup 2>/dev/null) delegate=$(systemctl show -p Delegate --value poolwarden.service)
journalctl -u poolwarden --no-pager -o cat | tail -12 | sed 's/^/PWLOG /'

# The agent's app group appears within a few slow ticks (2 s each).
i=0
while [ $i -lt 90 ] && ! grep -qx "$SLEEPER" $SVC/apps/sleeper/cgroup.procs 2>/dev/null; do sleep 1; i=$((i + 1)); done
say group waited=$i procs=$(cat $SVC/apps/sleeper/cgroup.procs 2>/dev/null | tr '\n' ,) sleeper=$SLEEPER weight=$(cat $SVC/apps/sleeper/cpu.weight 2>/dev/null) subtree=$(cat $SVC/cgroup.subtree_control | tr ' ' ,) svc_procs=$(cat $SVC/cgroup.procs | tr '\n' ,)
if ! grep -qx "$SLEEPER" $SVC/apps/sleeper/cgroup.procs 2>/dev/null; then
  # Diagnosis only: can root outside the unit's sandbox move it?
  echo "$SLEEPER" > $SVC/apps/sleeper/cgroup.procs 2>/tmp/move.err
  say manual-move rc=$? err=$(tr ' ' _ < /tmp/move.err)
fi
say tree $(cd $C/poolwarden.slice && find . -mindepth 1 -type d | sort | tr '\n' ' ')
st=$(api /v1/status)
echo "$st" | tr -d '\n ' | sed 's/,"/\n"/g' | grep -E 'enforcer_|slow_tick|lastSlow|alarm|processes|runningApps' | tr '\n' ' ' | sed 's/^/PWSTATUS /'; echo
journalctl -u poolwarden --no-pager -o cat | grep -E 'level=(warn|error)' | head -4 | cut -c1-600 | sed 's/^/PWLOG /'
say status-before mode=$(echo "$st" | json mode) apps=$(echo "$st" | json apps) started=$(echo "$st" | json started)

# Reload: monitor mode and one more app; the agent must release what it made and keep running as the same process.
cat > /etc/poolwarden/poolwarden.yaml <<'CFG'
mode: monitor
cgroups:
  root: poolwarden.slice/poolwarden.service/apps
apps:
  - name: sleeper
    processRules:
      - cmdline: "sleep 4242"
  - name: web
    processRules:
      - name: nginx
CFG
systemctl reload poolwarden.service
say reload rc=$?
i=0
while [ $i -lt 60 ]; do
  st=$(api /v1/status)
  [ "$(echo "$st" | json mode)" = monitor ] && [ ! -e $SVC/apps/sleeper ] && break
  sleep 1; i=$((i + 1))
done
say status-after waited=$i mode=$(echo "$st" | json mode) apps=$(echo "$st" | json apps) started=$(echo "$st" | json started) pid=$(systemctl show -p MainPID --value poolwarden.service) active=$(systemctl is-active poolwarden.service) group=$([ -e $SVC/apps/sleeper ] && echo present || echo gone) sleeper_cgroup=$(cut -d: -f3 /proc/$SLEEPER/cgroup)
say journal-hup $(journalctl -u poolwarden --no-pager -o cat | grep -c 'config reloaded')

t=$(up)
systemctl stop poolwarden.service
say stop rc=$? seconds=$(echo "$(up) $t" | awk '{print $1-$2}') state=$(systemctl is-active poolwarden.service)
say leftovers cgroups=$(find $C -mindepth 1 -type d \( -path '*poolwarden*' -o -name "$(cat /pw/test-root 2>/dev/null || echo none)" \) | tr '\n' ,) nft=$(nft list tables 2>/dev/null | grep -c poolwarden) qdiscs=$(tc qdisc show 2>/dev/null | grep -c ' 5057:') ifb=$(ip -o link show type ifb 2>/dev/null | grep -c pwifb) sleeper_cgroup=$(cut -d: -f3 /proc/$SLEEPER/cgroup)
kill $SLEEPER
journalctl -u poolwarden --no-pager -o cat | tail -8 | sed 's/^/PWLOG /'
systemd-analyze blame 2>/dev/null | head -8 | sed 's/^/PWBLAME /'
say done uptime=$(up)
