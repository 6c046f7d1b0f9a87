#!/bin/sh
# spb-drag-window: the frame (twm's title bar and border) of the window drags move, as
# xwininfo prints it; the host asks for it over the guest's control console (ttyS1) before
# the first input and after the settle, to check that the drags moved it.
export DISPLAY=:0
parent=$(xwininfo -name spicebench-drag -children | sed -n 's/^ *Parent window id: \(0x[0-9a-f]*\).*/\1/p')
exec xwininfo -id "$parent"
