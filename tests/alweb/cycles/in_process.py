"""Run the cycle pipeline in the test process: the messages it sends are recorded, not sent."""


class SentTasks:
    """The task messages sent so far, as (name, args); deliver() runs them like a worker would."""

    def __init__(self):
        self.messages: list[tuple[str, list]] = []

    def send_task(self, name, args=None, **options):
        self.messages.append((name, list(args or [])))

    def named(self, name: str) -> list[list]:
        return [args for sent, args in self.messages if sent == name]

    def take(self, name: str) -> list[list]:
        taken = self.named(name)
        self.messages = [(sent, args) for sent, args in self.messages if sent != name]
        return taken
