"""Who asked for a change, who approved it, through which pull request, and why: the one rule.

A change reaches the branch as a merge (its merged branch's tip is the change's own commit:
that commit's author asked, the merge's author approved), a squash (``... (#N)`` committed by
someone other than its author: the author asked, the committer approved) or a direct commit
(its author asked; nobody approved). Reviewers are the ``Reviewed-by:``/``Approved-by:``
trailers of either commit; the reason is the change's own commit body, without trailers and
without the lines modelreg writes itself. ``history``, ``deployments``, ``events``, ``show
--at``, the card and the site all read the ``AuditRecord`` this rule fills.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from modelreg.adapters import git

_MERGE_PR = re.compile(r"^Merge pull request #(\d+) from ")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_REVIEW_TRAILER = re.compile(r"^(?:Reviewed-by|Approved-by):\s*(.+?)\s*$", re.IGNORECASE)
# lines a body holds that nobody wrote as a reason: promote's note of displaced versions, and
# the list of squashed commits' subjects GitHub writes into a squash merge's body
_GENERATED = ("Moves ", "Deploys ", "* ")
REASON_LIMIT = 2000


@dataclass(frozen=True)
class AuditRecord:
    """The audit answer for one change: ``Name <email>`` of who asked and who approved (a plain
    dataclass: `modelreg history`'s warm path renders it without importing pydantic)."""

    requested_by: str
    approved_by: str | None = None
    reviewers: list[str] = field(default_factory=list)
    pr: int | None = None
    reason: str = ""


def pr_number(subject: str) -> int | None:
    """The pull request a merge (``Merge pull request #12 from ...``) or squash (``... (#12)``) names."""
    m = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(m.group(1)) if m else None


def own_message(entry: git.LogCommit, merged_tip: bytes | None) -> str:
    """The message of the change's own commit: the merged branch's tip for a merge."""
    return git.message_of(merged_tip) if merged_tip is not None else entry.message


def record_of(entry: git.LogCommit, merged_tip: bytes | None) -> AuditRecord:
    """The audit record of the first-parent commit ``entry``; ``merged_tip`` is the raw object
    of its second parent when it is a merge (else None)."""
    subject = entry.message.strip().split("\n", 1)[0]
    author = f"{entry.author_name} <{entry.author_email}>"
    requester, approver = author, None
    if merged_tip is not None:
        requester, approver = git.author_of(merged_tip) or author, author
    elif pr_number(subject) is not None and entry.committer_email != entry.author_email:
        approver = f"{entry.committer_name} <{entry.committer_email}>"  # a squash merge
    own = own_message(entry, merged_tip)
    return AuditRecord(
        requested_by=requester,
        approved_by=approver,
        reviewers=reviewers(entry.message, own),
        pr=pr_number(subject),
        reason=reason(own),
    )


def reviewers(*messages: str) -> list[str]:
    """Everyone a ``Reviewed-by:`` or ``Approved-by:`` trailer of the messages names, in order."""
    found: list[str] = []
    for message in messages:
        paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
        for line in paragraphs[-1].splitlines() if len(paragraphs) > 1 else []:
            m = _REVIEW_TRAILER.match(line.strip())
            if m and m.group(1) not in found:
                found.append(m.group(1))
    return found


def reason(message: str) -> str:
    """A commit's body: its paragraphs after the subject, without the trailers and the lines
    modelreg and the forge write themselves."""
    paragraphs = [p.strip() for p in message.strip().split("\n\n")[1:] if p.strip()]
    if paragraphs and (git.trailers("x\n\n" + paragraphs[-1]) or reviewers("x\n\n" + paragraphs[-1])):
        paragraphs.pop()
    kept = [p for p in paragraphs if not all(line.startswith(_GENERATED) for line in p.splitlines())]
    return "\n\n".join(kept)[:REASON_LIMIT]


def name_of(person: str | None) -> str:
    """``Name`` of ``Name <email>`` (``-`` for nobody)."""
    return person.split(" <", 1)[0] if person else "-"


def approval_names(record: AuditRecord) -> str:
    """Who merged the change, and who reviewed it where a trailer says so, by name."""
    approver = name_of(record.approved_by)
    others = [name_of(r) for r in record.reviewers if name_of(r) != approver]
    return ", ".join([approver, *others])
