#!/bin/sh
# As the redis image does: a server started without a config file listens to the container's network.
if [ "$1" = redis-server ]; then shift; set -- redis-server --protected-mode no "$@"; fi
exec "$@"
