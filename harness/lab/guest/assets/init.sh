#!/bin/sh
# /init of spicebench's desktop guest: PID 1 of the initramfs `spicebench guest build` makes.
# It brings up udev, Xorg, twm, the picture and the xterm to drag, and tells the host how far
# it got on the serial console, one `SPB <STEP> uptime=<s>` line per step:
#   INIT, UDEV-SETTLED, X-UP, DESKTOP-READY (the host waits for this one), or XORG-DIED
#   followed by Xorg's log (the host then reports the failure with it).
# The second serial port (ttyS1) then carries a shell the host queries (spb-drag-window).
# Kernel command line: xdrv=qxl|modesetting picks /etc/X11/xorg-<xdrv>.conf.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
SERIAL=/dev/ttyS0
step() { echo "SPB $* uptime=$(cut -d' ' -f1 /proc/uptime)" > $SERIAL; }
step INIT
XDRV=modesetting
for arg in $(cat /proc/cmdline); do
  case $arg in xdrv=*) XDRV=${arg#xdrv=} ;; esac
done

# udev loads the GPU (qxl, virtio-gpu), input (evdev, psmouse, usbhid) and USB host drivers
# by modalias and tags the input devices Xorg looks for: no load order written by hand.
/lib/systemd/systemd-udevd --daemon
udevadm trigger --type=subsystems --action=add
udevadm trigger --type=devices --action=add
udevadm settle --timeout=120
step UDEV-SETTLED

setsid Xorg :0 -config /etc/X11/xorg-$XDRV.conf -nolisten tcp -noreset vt1 \
  -logfile /var/log/Xorg.0.log > /var/log/Xorg.out 2>&1 &
XORG=$!
export DISPLAY=:0
until xdpyinfo > /dev/null 2>&1; do
  if ! kill -0 $XORG 2> /dev/null; then
    step XORG-DIED
    cat /var/log/Xorg.0.log /var/log/Xorg.out > $SERIAL
    exec sleep 2147483647
  fi
  sleep 0.2
done
step X-UP
setsid twm -f /etc/spicebench/twmrc > /var/log/twm.log 2>&1 &
# The picture behind the windows; -noclick, or the first click of a drag would close it.
setsid xwud -noclick -in /etc/spicebench/plasma.xwd -geometry +0+0 > /var/log/xwud.log 2>&1 &
setsid xterm -geometry 80x24+50+50 -title spicebench-drag > /var/log/xterm.log 2>&1 &
until xwininfo -name spicebench-drag > /dev/null 2>&1; do sleep 0.2; done
# The host's control console on the second serial port (a root-only socket on the host): a
# shell without echo that answers queries such as spb-drag-window when asked. Started before
# the host is told the desktop is ready, so the host's first query finds it reading (a
# serial port drops what arrives while nobody has it open). Nothing polls: a reporter
# querying the X server every second made twm drop drags.
setsid sh -c 'stty -echo -onlcr 2> /dev/null; exec sh' < /dev/ttyS1 > /dev/ttyS1 2>&1 &
step DESKTOP-READY
exec sleep 2147483647
