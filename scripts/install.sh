#!/usr/bin/env bash
# hecha 离线安装（issue 20）：在办公室的电脑上，从安装包的文件夹里运行。
#
#   sudo ./install.sh                     装到 /opt/hecha，命令 /usr/local/bin/hecha，数据库在 /var/lib/hecha
#   sudo ./install.sh --clerk 王芳         再建一个录入员账号：SSH 登录就进 hecha，退出 hecha 就退出登录
#   sudo ./install.sh --head 李主任        乡镇负责人账号：同组，可以导出数据包、管理密钥，登录后是普通命令行
#   ./install.sh --prefix ~/hecha --bin ~/bin --data ~/hecha-data --group ""    不用 root，装给自己
#
# 已经装过时就是升级：先备份数据库，再装新版，再升级数据库结构，每一行都保留；安装包比数据库旧（降级）时
# 拒绝，什么都不改。最后运行 hecha doctor。退出状态：0 成功，1 失败（原因和办法在最后一行）。
set -euo pipefail
umask 022

KIT="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" = 0 ]; then
  PREFIX=/opt/hecha BIN=/usr/local/bin DATA=/var/lib/hecha GROUP=hecha
else
  PREFIX="$HOME/.local/opt/hecha" BIN="$HOME/.local/bin" DATA="" GROUP=""
fi
PYTHON="" DOCTOR=1 CLERKS=() HEADS=()

die() { echo "安装失败：$*" >&2; exit 1; }
say() { echo "== $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix|--bin|--data|--group|--python|--clerk|--head)
      [ $# -ge 2 ] || die "$1 后面要跟一个值（看帮助：./install.sh --help）" ;;
  esac
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --group) GROUP="$2"; shift 2 ;;
    --python) PYTHON="$2"; shift 2 ;;
    --clerk) CLERKS+=("$2"); shift 2 ;;
    --head) HEADS+=("$2"); shift 2 ;;
    --no-doctor) DOCTOR=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "不认识的选项 $1（看帮助：./install.sh --help）" ;;
  esac
done

# ---------------------------------------------------------------- the kit itself
[ -f "$KIT/VERSION" ] && [ -d "$KIT/wheels" ] \
  || die "$KIT 不是完整的安装包（缺 VERSION 或 wheels）：请在解开的 hecha-kit-版本 文件夹里运行 ./install.sh。"
VERSION="$(cat "$KIT/VERSION")"
if command -v sha256sum >/dev/null; then
  (cd "$KIT" && grep -v ' SHA256SUMS$' SHA256SUMS | sha256sum -c --quiet --strict >/dev/null 2>&1) \
    || die "安装包的文件和校验值（SHA256SUMS）对不上：U 盘上的文件不完整或被改过，请重新拷一份安装包。"
fi

# ---------------------------------------------------------------- Python 3.10 or newer
if [ -z "$PYTHON" ]; then  # the newest Python the kit was made for, else any 3.10 or newer
  usable=()
  for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      usable+=("$(command -v "$candidate")")
    fi
  done
  for candidate in "${usable[@]}"; do
    if grep -q "^$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])') " "$KIT/TARGETS"; then
      PYTHON="$candidate"; break
    fi
  done
  [ -n "$PYTHON" ] || PYTHON="${usable[0]:-}"
fi
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  probe="${PYTHON:-python3}"
  found="$(command -v "$probe" >/dev/null && "$probe" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 无)"
  die "本机的 Python（$probe）是 ${found}，hecha 需要 3.10 或更新。办法：装发行版里较新的 Python 包（如 sudo apt install python3.11；
  统信 UOS / 麒麟 V10 在应用商店或 yum/apt 里找 python3.10 以上），或把系统升级到自带 3.10 以上的版本（Debian 12、
  Ubuntu 22.04、openEuler 22.03、CentOS Stream 9）；装好后用 --python /usr/bin/python3.11 再运行本脚本。"
fi
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
"$PYTHON" -c 'import venv, sqlite3' 2>/dev/null \
  || die "$PYTHON 缺少 venv 或 sqlite3 模块：请装发行版的 python${PYVER}-venv 包（Debian/Ubuntu：sudo apt install python${PYVER}-venv）。"
grep -q "^$PYVER " "$KIT/TARGETS" || say "提示：安装包是为 $(cut -d' ' -f1 "$KIT/TARGETS" | sort -u | tr '\n' ' ')做的，本机是 Python $PYVER，下面试试看"

# ---------------------------------------------------------------- the office's data folder
DB="" HAVE=0 KNOWS=0
protect_data() {
  # the group's clerks share the database and write its -wal; nobody else reads it (an older release
  # wrote 0644 files: put right here, as hecha refuses a database that others can read)
  if [ -n "$GROUP" ]; then
    chgrp -R "$GROUP" "$DATA"
    find "$DATA" -type d -exec chmod 2770 {} +
    find "$DATA" -type f -exec chmod g+rw,o-rwx {} +
  else
    chmod -R go-rwx "$DATA"
  fi
}
if [ -n "$DATA" ]; then
  if [ -n "$GROUP" ]; then
    [ "$(id -u)" = 0 ] || die "建用户组 $GROUP 要 root：用 sudo 运行，或加 --group \"\" 装给自己用。"
    getent group "$GROUP" >/dev/null || groupadd --system "$GROUP"
  fi
  mkdir -p "$DATA"
  protect_data
  DB="$DATA/hecha.sqlite"
fi

# ---------------------------------------------------------------- what is installed now
# each install is its own environment, $PREFIX/hecha-<version>-<time>; $PREFIX/current points at the one in use
# (a virtual environment cannot be moved: its scripts name its own path)
OLD="" PREVIOUS=""
if [ -x "$PREFIX/current/bin/hecha" ]; then
  PREVIOUS="$(readlink -f "$PREFIX/current")"
  OLD="$("$PREFIX/current/bin/python" -c 'from importlib.metadata import version; print(version("hecha"))' 2>/dev/null)" \
    || OLD="?"
fi

# ---------------------------------------------------------------- the new program, beside the old one
mkdir -p "$PREFIX"
NEW="$PREFIX/hecha-$VERSION-$(date -u +%Y%m%dT%H%M%S)"
rm -rf "$NEW"
"$PYTHON" -m venv --without-pip "$NEW" || die "不能在 $PREFIX 建立 Python 环境（权限？磁盘满？）"
PIPWHEEL="$(ls "$KIT"/wheels/pip-*.whl | tail -n 1)"
say "安装 hecha $VERSION（Python $PYVER，$NEW）…"
if ! PIP_CONFIG_FILE=/dev/null "$NEW/bin/python" "$PIPWHEEL/pip" install --isolated --no-index --no-cache-dir \
     --disable-pip-version-check -q --find-links "$KIT/wheels" "hecha==$VERSION" 2>"$PREFIX/install-error.log"; then
  rm -rf "$NEW"
  die "程序包装不上（详情在 $PREFIX/install-error.log）：安装包里可能没有适合本机（$(uname -m)，Python $PYVER）的文件。
  请在联网的电脑上运行 bash dev.sh kit 重新做安装包（它包括 x86_64 和 aarch64、Python 3.10–3.13）。"
fi
rm -f "$PREFIX/install-error.log"
NEWVER="$VERSION"

# ---------------------------------------------------------------- the database: refuse a downgrade, back up, migrate
if [ -n "$DB" ] && [ -s "$DB" ]; then
  HAVE="$("$PYTHON" -c 'import sqlite3, sys; print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("PRAGMA user_version").fetchone()[0])' "$DB")"
  KNOWS="$("$NEW/bin/python" -c 'from storage.db import SCHEMA_VERSION; print(SCHEMA_VERSION)')"
  if [ "$HAVE" -gt "$KNOWS" ]; then
    rm -rf "$NEW"
    die "数据库 $DB 是第 $HAVE 版结构，这个安装包的 hecha $NEWVER 只认到第 $KNOWS 版：不能降级，什么都没改（仍是 hecha ${OLD:-?}）。请用与现在相同或更新的安装包。"
  fi
  mkdir -p "$DATA/backups"
  SAVED="$DATA/backups/hecha-$(date -u +%Y%m%dT%H%M%S)-before-install-${OLD:-none}-to-$NEWVER.sqlite"
  "$PYTHON" -c 'import sqlite3, sys
src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2])
src.backup(dst); dst.close(); src.close()' "$DB" "$SAVED" || die "备份数据库失败（磁盘满？），没有升级。"
  protect_data
  say "已备份数据库：$SAVED"
fi

# ---------------------------------------------------------------- switch: the previous program stays until the next install
ln -sfn "$NEW" "$PREFIX/current.new"
mv -T "$PREFIX/current.new" "$PREFIX/current"
for stale in "$PREFIX"/hecha-*; do
  case "$stale" in "$NEW"|"$PREVIOUS") ;; *) rm -rf "$stale" ;; esac
done
mkdir -p "$BIN"
LAUNCHER="$BIN/hecha"
{
  echo '#!/bin/sh'
  echo "# hecha（install.sh 写的）：程序在 $PREFIX/current${DB:+，本单位数据库 $DB}"
  [ -n "$DB" ] && echo "HECHA_DB=\"\${HECHA_DB:-$DB}\"; export HECHA_DB"
  echo "exec \"$PREFIX/current/bin/hecha\" \"\$@\""
} > "$LAUNCHER.new"
chmod 755 "$LAUNCHER.new"
mv "$LAUNCHER.new" "$LAUNCHER"

if [ -n "$DB" ] && [ -s "$DB" ] && [ "$HAVE" -lt "$KNOWS" ]; then
  if ! "$LAUNCHER" --db "$DB" migrate; then
    [ -n "$PREVIOUS" ] && ln -sfn "$PREVIOUS" "$PREFIX/current"
    die "数据库结构升级失败，已换回原来的程序（hecha ${OLD:-?}）；升级前的数据库备份在 $SAVED。"
  fi
fi
if [ -z "$OLD" ]; then say "已安装 hecha $NEWVER"
elif [ "$OLD" = "$NEWVER" ]; then say "已重新安装 hecha $NEWVER"
else say "已从 hecha $OLD 升级到 $NEWVER"; fi

# ---------------------------------------------------------------- accounts
profile_block() {  # $1: autostart (1) or not (0)
  echo "# >>> hecha（install.sh 写的）"
  echo 'export LANG="${LANG:-C.UTF-8}"'
  echo 'case "$LANG" in *UTF-8*|*utf8*) ;; *) export LANG=C.UTF-8 ;; esac'
  echo "case \":\$PATH:\" in *\":$BIN:\"*) ;; *) PATH=\"$BIN:\$PATH\" ;; esac"
  if [ "$1" = 1 ]; then
    echo '# SSH 登录直接进 hecha，退出 hecha 就退出登录（scp 传文件不受影响）'
    echo "if [ -n \"\$SSH_TTY\" ] && [ -z \"\${HECHA_SHELL:-}\" ]; then exec \"$LAUNCHER\"; fi"
  fi
  echo "# <<< hecha"
}
account() {  # $1 name, $2 autostart
  local name="$1"
  [ "$(id -u)" = 0 ] || die "建账号 $name 要 root（sudo ./install.sh --clerk $name）"
  [ -n "$GROUP" ] || die "账号要加入数据库的用户组：不能和 --group \"\" 一起用"
  if ! id "$name" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$name" || die "建账号 $name 失败（名字只能用字母、数字、下划线，用拼音）"
    say "已建账号 $name：请运行 passwd $name 设密码"
  fi
  usermod -aG "$GROUP" "$name"
  local home profile
  home="$(getent passwd "$name" | cut -d: -f6)"
  profile="$home/.profile"
  touch "$profile"
  sed -i '/^# >>> hecha/,/^# <<< hecha/d' "$profile"
  profile_block "$2" >> "$profile"
  chown "$name": "$profile"
  say "账号 $name 已加入用户组 $GROUP$([ "$2" = 1 ] && echo '，SSH 登录直接进 hecha')"
}
for name in "${CLERKS[@]}"; do account "$name" 1; done
for name in "${HEADS[@]}"; do account "$name" 0; done

# ---------------------------------------------------------------- check
case ":$PATH:" in *":$BIN:"*) ;; *) say "提示：$BIN 不在 PATH 里；用 $LAUNCHER，或把它加进 PATH" ;; esac
if [ "$DOCTOR" = 1 ]; then
  say "hecha doctor："
  "$LAUNCHER" doctor || true  # advice, not a failed install: the office reads it
fi
exit 0
