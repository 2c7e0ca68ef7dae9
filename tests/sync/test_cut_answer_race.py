"""A cut answer followed by a smaller batch: the laptop still ends with the office's value.

The race (issue 18): the office commits a batch of two edits, but its answer never arrives.
The next sync sends a batch of one; its pull brings back the second row, whose edit lost at
the office, while that edit is still waiting here, so the laptop keeps its own value for now.
The retry of that edit is then answered from the office's receipt, and the row is never sent
again. The laptop must still end with the value that won, and see the copy of its own.
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from laptops import Laptop, LaptopFactory, assert_same_data, team_of

from sp_desktop.domain.hlc import HlcStamp
from sp_desktop.server.testing import RunningServer
from sp_desktop.sync.client import ServerUnreachable, sync_status
from sp_desktop.sync.conflicts import list_conflicts


class LoseAnswers(httpx.BaseTransport):
    """Sends each request to the real office and reads its whole answer (so the office has
    committed), then loses the first `lose` answers on the way back."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        if self.lost < self.lose:
            self.lost += 1
            response.close()
            raise httpx.ReadError("the answer was lost on the way", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def _last_stamp(laptop: Laptop) -> HlcStamp:
    from sqlalchemy import select

    from sp_desktop.store.schema import outbox

    with laptop.store.read() as conn:
        return HlcStamp.parse(str(conn.execute(
            select(outbox.c.hlc).order_by(outbox.c.seq.desc())).scalars().first()))


@pytest.mark.parametrize(("field", "ann_value", "ben_value"), [
    ("address", "Flat 2, 1 Mill Lane", "1 Mill Lane, Leeds"),  # free text
    ("postcode", "LS1 4AB", "LS2 9JT"),  # a value settled by clock alone
])
def test_a_lost_answer_then_a_smaller_batch_still_ends_with_the_winning_value(
    server: RunningServer, make_laptop: LaptopFactory, field: str, ann_value: str,
    ben_value: str,
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    frank = ann.ws.people.create(given_name="Frank", family_name="Hill",
                                 date_of_birth=date(1941, 2, 3)).id
    edith = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                 date_of_birth=date(1938, 5, 1)).id
    ann.sync()
    ben.sync()

    # Offline, Ann edits two people; Ben, later, edits the second one and syncs first.
    ann.ws.people.update(frank, **{field: ann_value})
    ann.ws.people.update(edith, **{field: ann_value})
    ben.ws.changes.clock.receive(_last_stamp(ann))  # Ben's edit is the later one: it wins
    ben.ws.people.update(edith, **{field: ben_value})
    ben.sync()

    # Ann's batch of two is stored at the office, but its answer is lost.
    with pytest.raises(ServerUnreachable):
        ann.sync(batch_size=2, max_attempts=1, transport=LoseAnswers(1))
    assert sync_status(ann.store).waiting == 2

    # Next time the laptop sends one change at a time.
    ann.sync(batch_size=1)
    assert sync_status(ann.store).waiting == 0
    assert getattr(ann.ws.people.get(edith), field) == ben_value  # the value that won
    assert getattr(ann.ws.people.get(frank), field) == ann_value
    (copy,) = list_conflicts(ann.store)  # Ann's own value is there to see, not resolved
    assert (copy.row_id, copy.field, copy.kept_value, copy.other_value) == (
        edith, field, ben_value, ann_value)
    ben.sync()
    assert_same_data(server, ann, ben)
