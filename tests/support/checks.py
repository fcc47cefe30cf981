"""Whole eligibility checks played as a user would, for tests that need a verdict."""

from tests.support.telegram import ChatDriver

THB = "AMIF-2024-TF2-AG-THB"


async def eligible_thb_in_swedish(chat: ChatDriver) -> str:
    """The 2024 trafficking call's check with every criterion met, typed and pressed in Swedish."""
    await chat.send(f"/eligibility {THB}")
    for answer in ("ja", "2", "ja", "Finland", "Sverige, Estland"):
        await chat.send(answer)
    await chat.click("Klar")
    await chat.send("800 000")
    await chat.send("två år")
    await chat.click(chat.last_buttons[0])
    await chat.click("Klar")
    return chat.last_text
