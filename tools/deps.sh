#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/deps.sh [extra packages...]: installs graft's build dependencies from the distribution's
# packages when they are missing (Debian 12 / Ubuntu 22.04+). Uses sudo when not root.
set -euo pipefail
pkgs=(cmake g++ make pkg-config libeigen3-dev libopenblas-dev catch2 libbenchmark-dev zlib1g-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "tools/deps.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
