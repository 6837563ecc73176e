"""The ``safefeed`` command line."""

from __future__ import annotations

import sys

import typer

from safefeed.cli import audit, feed, keys, platform, policy, risk, sim, train
from safefeed.cli.common import err_console
from safefeed.exceptions import InputError, NotFoundError, SafefeedError

__all__ = ["app", "main"]

app = typer.Typer(
    name="safefeed",
    help="Safety-first feed and trust & safety engine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
platform.register(app)
feed.register(app)
sim.register(app)
app.add_typer(policy.policy_app, name="policy")
app.add_typer(policy.denylist_app, name="denylist")
app.add_typer(policy.kill_switch_app, name="kill-switch")
app.add_typer(policy.config_app, name="config")
sim.register_paths_command(audit.audit_app)  # `safefeed audit paths`
app.add_typer(audit.audit_app, name="audit")
app.add_typer(keys.keys_app, name="keys")
risk.register(app)
app.add_typer(risk.scenarios_app, name="scenarios")
app.add_typer(risk.review_app, name="review")
app.add_typer(train.train_app, name="train")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a `SafefeedError` becomes one line on stderr and a non-zero exit."""
    try:
        result = app(args=argv, standalone_mode=False)
    except SafefeedError as exc:
        # One line, whatever a library put in the message (scripts read the first line).
        message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
        return 2 if isinstance(exc, (InputError, NotFoundError)) else 1
    except typer.TyperException as exc:
        # A usage error (unknown command or option, a bad value): one line too, and
        # where to look. Typer vendors Click since 0.26, so Click's own classes miss it.
        message = " ".join(exc.format_message().split())
        if message:  # empty after a bare group name: its help is already printed
            context = getattr(exc, "ctx", None)
            hint = f" (see: {context.command_path} --help)" if context is not None else ""
            err_console.print(
                f"error: {message}{hint}", markup=False, highlight=False, soft_wrap=True
            )
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        return 130
    # Without standalone mode, click hands back typer.Exit codes as the return value.
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
