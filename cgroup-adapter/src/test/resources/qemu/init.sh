#!/bin/busybox sh
# PID 1 of the qemu guest for CgroupV2QemuKernelTest: measures cpu.weight and cpu.max on pure cgroup v2 with busy
# loops, then runs the CpuController contract on the JVM if one is in the image. Lines starting "PW " are for the host.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t cgroup2 none /sys/fs/cgroup
C=/sys/fs/cgroup
echo "PW kernel $(uname -r) cpus $(cat $C/cpuset.cpus.effective) controllers $(cat $C/cgroup.controllers)"
usage() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }
stat() { sed -n "s/^$2 //p" "$1/cpu.stat"; }

echo "+cpu +cpuset" > $C/cgroup.subtree_control
G=$C/pwshell
mkdir $G
echo "+cpu +cpuset" > $G/cgroup.subtree_control
mkdir $G/a $G/b $G/c
echo 300 > $G/a/cpu.weight
echo 100 > $G/b/cpu.weight
# both on the last CPU, so they compete
LAST=$(( $(nproc) - 1 ))
echo $LAST > $G/a/cpuset.cpus
echo $LAST > $G/b/cpuset.cpus
sh -c "echo \$\$ > $G/a/cgroup.procs; while :; do :; done" &
sh -c "echo \$\$ > $G/b/cgroup.procs; while :; do :; done" &
sleep 1
a0=$(usage $G/a); b0=$(usage $G/b)
sleep 3
a1=$(usage $G/a); b1=$(usage $G/b)
echo "PW weight a_usec=$((a1 - a0)) b_usec=$((b1 - b0))"
kill $(cat $G/a/cgroup.procs $G/b/cgroup.procs)

echo "25000 100000" > $G/c/cpu.max
sh -c "echo \$\$ > $G/c/cgroup.procs; while :; do :; done" &
sleep 1
c0=$(usage $G/c); p0=$(stat $G/c nr_periods); t0=$(stat $G/c nr_throttled); w0=$(cut -d' ' -f1 /proc/uptime)
sleep 4
c1=$(usage $G/c); p1=$(stat $G/c nr_periods); t1=$(stat $G/c nr_throttled); w1=$(cut -d' ' -f1 /proc/uptime)
echo "PW cap used_usec=$((c1 - c0)) wall_from=$w0 wall_to=$w1 periods=$((p1 - p0)) throttled=$((t1 - t0))"
kill $(cat $G/c/cgroup.procs)
sleep 0.2
rmdir $G/a $G/b $G/c $G

if [ -x /jre/bin/java ]; then
  echo "PW java start $(cut -d' ' -f1 /proc/uptime)"
  /jre/bin/java -Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp -cp "$(cat /cp/classpath)" \
      org.poolwarden.cgroup.VmContractMain
  echo "PW java end $(cut -d' ' -f1 /proc/uptime)"
fi
echo "PW done"
poweroff -f
