"""``make demo``: score a few example prompts with the shipped default model."""

from __future__ import annotations

EXAMPLES = (
    ("A news anchor looks into the camera and says 'Tonight we bring you the full story of the flood that changed "
     "our town forever, and the people who rebuilt it', 10-second close-up", "sora-2"),
    ("A storefront sign that reads 'GRAND OPENING SALE - 50% OFF ALL SHOES THIS WEEKEND ONLY'", "kling"),
    ("Seven red balloons float above a birthday table", "pika"),
    ("A glass of water tips over and spills across a wooden table", "luma"),
    ("A calm mountain lake at sunrise, slow aerial shot", "veo-3"),
)


def main() -> None:
    """Print the risk report of each example prompt."""
    import ava_model

    for prompt, platform in EXAMPLES:
        print(ava_model.predict(prompt, platform))
        print()


if __name__ == "__main__":
    main()
