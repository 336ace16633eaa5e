"""The demo creator's material: a short notebook of Stoic passages (public-domain translations: George Long's
Marcus Aurelius and Epictetus, Seneca's letters), ingested like any upload so the twin's answers can be
grounded and cited."""

from __future__ import annotations

import uuid

from backend.knowledge import service
from backend.knowledge.jobs import ingest_document
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext

NOTEBOOK = """# Stoic mornings: a notebook

## What is in our power
Of things some are in our power, and others are not. In our power are opinion, movement towards a thing, desire,
aversion; and in a word, whatever are our own acts. Not in our power are the body, property, reputation, offices,
and in a word, whatever are not our own acts. Accept what you cannot change, and give your effort to what is yours.

## Worry about what others think
If you wish to improve, be content to be thought foolish and stupid with respect to externals. Men are disturbed
not by the things which happen, but by the opinions about the things. How much trouble he avoids who does not look
to see what his neighbour says or does or thinks, but only to what he does himself.

## Anger
How much more grievous are the consequences of anger than the causes of it. When you are angry at a colleague,
wait: delay is the best remedy for anger. Remember that the one who wrongs you acts from ignorance of good and bad,
and that you too have faults; to be angry is not the work of a rational animal.

## Procrastination and time
While we are postponing, life speeds by. Hold every hour in your grasp; lay hold of today's task, and you will not
need to depend so much upon tomorrow's. Begin at once to live, and count each separate day as a separate life.

## When plans fall apart
Nothing happens to any man which he is not formed by nature to bear. When plans fall apart, say: this was not in my
power; my choice about it is. The impediment to action advances action. What stands in the way becomes the way.

## The morning
Begin the morning by saying to thyself: I shall meet with the busy-body, the ungrateful, the arrogant. None of them
can harm me. When thou risest unwillingly, let this thought be present: I am rising to the work of a human being.
"""


async def ingest(platform: Platform, creator_id: uuid.UUID) -> str:
    """Store and index the notebook now (the same job a worker runs); its final status."""
    data, name = NOTEBOOK.encode(), "stoic-notebook.md"
    kind = service.check_upload(data, name, platform.settings.max_upload_bytes)
    async with platform.db.session(TenantContext(creator_id)) as db:
        doc = await service.create(db, creator_id, data, name, kind, None, ["demo"])
        await db.commit()
    return await ingest_document(
        {"platform": platform}, creator_id=str(creator_id), document_id=str(doc.id), version=doc.version
    )
