#!/bin/busybox sh
# /init of SystemdGuestKernelTest's initramfs: mounts the host's root file system read-only over 9p, puts a tmpfs
# overlay on top (the guest may write anything, the host sees nothing), adds the test's units, and hands over to
# systemd as PID 1 with pwtest.target as the only goal. Lines starting "PW " are for the host.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mod/order); do insmod "/mod/$m" || echo "PW insmod-failed $m"; done
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower || echo "PW mount-failed 9p"
mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
  || echo "PW mount-failed overlay"
# The host is a container: without these files systemd sees a VM (and reads its unit from the command line).
rm -f /newroot/.dockerenv /newroot/run/.containerenv /newroot/container_info.json
# The host's temporary files stay out of sight (systemd-tmpfiles would otherwise delete them all, in the overlay).
mount -t tmpfs tmp /newroot/tmp
mount -t tmpfs vartmp /newroot/var/tmp
mkdir -p /newroot/etc/systemd/system
cat > /newroot/etc/systemd/system/pwtest.target <<'UNIT'
[Unit]
Description=poolwarden systemd guest test
Requires=pwtest.service
After=pwtest.service
UNIT
cat > /newroot/etc/systemd/system/pwtest.service <<'UNIT'
[Unit]
Description=poolwarden systemd guest test script
[Service]
Type=oneshot
TimeoutStartSec=900
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
ExecStart=/pw/systemd-guest.sh
ExecStopPost=/bin/systemctl poweroff --force --force
UNIT
# /pw (the test script and the package) goes into the overlay: the initramfs is freed by switch_root.
cp -r /pw /newroot/pw
echo "PW switching uptime=$(cut -d' ' -f1 /proc/uptime)"
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd --unit=pwtest.target
